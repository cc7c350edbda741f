"""Courses, lecture series, speakers, covers and materials."""
