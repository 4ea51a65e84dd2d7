"""models of the optical array study."""
