"""Withdrawing a published session: booked and waitlisted learners are notified once."""

import pytest
from django.utils import translation

from eschool.classroom import services
from eschool.classroom.models import Booking, Session
from eschool.homeschool.models import Notification

from .conftest import TODAY, TOMORROW, shanghai

pytestmark = pytest.mark.django_db


def book(session, learner, status):
    return Booking.objects.create(
        session=session, learner=learner, status=status, queued_at=shanghai(TODAY, "09:00")
    )


def test_cancelling_notifies_confirmed_and_waitlisted_learners(
    clock, make_session, district_admin, student, stranger, outside_learner, parent
):
    session = make_session(day=TOMORROW, title="分数的加减")
    book(session, student, Booking.Status.CONFIRMED)
    book(session, stranger, Booking.Status.WAITLISTED)
    book(session, outside_learner, Booking.Status.CANCELLED)

    with translation.override("en"):
        services.session_cancel(actor=district_admin, session=session, reason="  老师生病，改期  ")

    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert session.cancel_reason == "老师生病，改期"
    with translation.override("en"):
        rows = [
            (n.user.username, n.key, n.shown_title, n.shown_body, n.url)
            for n in Notification.objects.order_by("user__username").select_related("user")
        ]
    key = f"cancelled:{session.pk}"
    url = f"/sessions/{session.pk}/"
    # Not the learner whose booking was already cancelled.
    assert list(rows) == [
        ("00123", key, "Cancelled: 分数的加减", "老师生病，改期", url),
        ("01126", key, "Cancelled: 分数的加减", "老师生病，改期", url),
    ]


def test_cancelling_twice_notifies_once(clock, make_session, district_admin, student):
    session = make_session(day=TOMORROW)
    book(session, student, Booking.Status.CONFIRMED)
    services.session_cancel(actor=district_admin, session=session, reason="改期")
    services.session_cancel(actor=district_admin, session=session, reason="另一个理由")
    assert Notification.objects.filter(user=student).count() == 1
    session.refresh_from_db()
    assert session.cancel_reason == "改期"


def test_a_refused_cancel_notifies_nobody(clock, make_session, teacher, student):
    from django.core.exceptions import PermissionDenied

    session = make_session(day=TOMORROW)
    book(session, student, Booking.Status.CONFIRMED)
    with pytest.raises(PermissionDenied):
        services.session_cancel(actor=teacher, session=session, reason="x")
    assert Notification.objects.count() == 0
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED


def test_a_withdrawn_session_shows_cancelled_with_its_reason(
    client, clock, make_session, district_admin
):
    client.cookies["django_language"] = "en"
    clock.set(shanghai(TODAY, "19:00"))  # tomorrow is published
    session = make_session(day=TOMORROW, title="分数的加减")
    services.session_cancel(actor=district_admin, session=session, reason="老师生病")
    html = client.get(f"/sessions/{session.pk}/").content.decode()
    assert '<span class="badge cancelled">Cancelled</span>' in html
    assert "<dd>Cancelled: 老师生病</dd>" in html
    day_html = client.get("/timetable/2026-12-08/").content.decode()
    assert 'class="session is-cancelled"' in day_html
