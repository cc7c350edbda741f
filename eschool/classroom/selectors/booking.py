"""booking reads."""
