"""evaluation of the optical array study."""
