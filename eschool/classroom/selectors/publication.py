"""publication reads."""
