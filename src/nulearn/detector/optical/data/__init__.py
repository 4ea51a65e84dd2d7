"""data of the optical array study."""
