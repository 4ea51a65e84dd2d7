"""physics of the optical array study."""
