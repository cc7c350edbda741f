"""Views of sharing."""
