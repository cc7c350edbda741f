"""URLs of the sharing part of the classroom; included by eschool/classroom/urls.py."""

from django.urls import path, re_path

from eschool.classroom.views import sharing

# A share code is secrets.token_urlsafe(6): 8 URL-safe characters.
CODE = r"[A-Za-z0-9_-]{4,16}"
DAY = r"\d{4}-\d{2}-\d{2}"

urlpatterns = [
    re_path(rf"^s/(?P<code>{CODE})/?$", sharing.share_session, name="share_session"),
    re_path(rf"^c/(?P<code>{CODE})/?$", sharing.share_course, name="share_course"),
    re_path(r"^d/(?P<code>\d{8})/?$", sharing.share_day, name="share_day"),
    re_path(
        rf"^(?P<kind>[scd])/(?P<code>{CODE})/qr\.(?P<fmt>svg|png)$",
        sharing.share_qr,
        name="share_qr",
    ),
    path("sessions/<int:pk>/poster/", sharing.session_poster, name="session_poster"),
    # Dates as strings, parsed by the views: the "isodate" converter is
    # registered by eschool/classroom/urls.py only after it imports this module.
    re_path(
        rf"^timetable/(?P<value>{DAY})/announcement/$",
        sharing.day_announcement,
        name="day_announcement",
    ),
    re_path(rf"^timetable/(?P<value>{DAY})/publish/$", sharing.day_publish, name="day_publish"),
    re_path(rf"^timetable/(?P<value>{DAY})\.ics$", sharing.day_ics, name="day_ics"),
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{16,64})\.ics$",
        sharing.calendar_feed,
        name="calendar_feed",
    ),
    path("my/calendar/", sharing.my_calendar, name="my_calendar"),
    path("manage/notices/", sharing.notices, name="notices"),
    path("manage/notices/<int:pk>/delete/", sharing.notice_delete, name="notice_delete"),
]
