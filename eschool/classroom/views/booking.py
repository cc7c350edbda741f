"""Views of booking."""
