"""URLs of the booking part of the classroom; included by eschool/classroom/urls.py."""

from django.urls import path

from eschool.classroom.views import booking

urlpatterns = [
    path("sessions/<int:pk>/book/", booking.book, name="book"),
    path("sessions/<int:pk>/cancel-booking/", booking.cancel, name="booking_cancel"),
    path("sessions/<int:pk>/roster/", booking.roster, name="roster"),
    path("sessions/<int:pk>/capacity/", booking.capacity, name="session_capacity"),
    path("my/timetable/", booking.my_timetable, name="my_timetable"),
    path(
        "my/children/<int:student_id>/timetable/",
        booking.child_timetable,
        name="child_timetable",
    ),
]
