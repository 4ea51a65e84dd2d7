"""cosmo."""
