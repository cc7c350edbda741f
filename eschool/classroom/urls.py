import datetime as dt

from django.urls import path, re_path, register_converter

from eschool.classroom import selectors, views
from eschool.classroom.routes import booking, courses, sharing


class IsoDateConverter:
    """YYYY-MM-DD as a date; an impossible date (2026-02-30) matches nothing (404)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> dt.date:
        day = selectors.parse_day(value)
        if day is None:
            raise ValueError(value)
        return day

    def to_url(self, value: dt.date) -> str:
        return value.isoformat()


register_converter(IsoDateConverter, "isodate")

app_name = "classroom"
urlpatterns = [
    path("", views.today, name="today"),
    path("timetable/", views.pick_day, name="pick_day"),
    path("timetable/<isodate:day>/", views.day, name="day"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    # Partners call it without a trailing slash; accept one too, without a redirect.
    re_path(
        r"^api/v1/timetable/(?P<value>\d{4}-\d{2}-\d{2})/?$",
        views.api_timetable,
        name="api_timetable",
    ),
    path("manage/sessions/new/", views.session_new, name="session_new"),
    path("manage/sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("manage/sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
]
# Each part of the classroom keeps its own routes (same "classroom" namespace).
urlpatterns += booking.urlpatterns + sharing.urlpatterns + courses.urlpatterns
