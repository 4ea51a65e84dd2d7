"""flavor."""
