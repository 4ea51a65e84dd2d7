"""study of the optical array study."""
