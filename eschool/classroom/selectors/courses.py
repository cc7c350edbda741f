"""courses reads."""
