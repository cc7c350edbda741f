"""Booking (预约): seats, waitlist, cancellation, my timetable."""
