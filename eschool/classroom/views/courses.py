"""Views of courses."""
