"""Django's admin edits a session's description and times, never its seats or its status."""

import pytest
from django.contrib.admin import site
from django.core.cache import cache
from django.test import RequestFactory

from eschool.classroom.models import Booking, Session
from eschool.classroom.selectors import timetable_revision, timetable_version
from eschool.classroom.services.booking import booking_create
from eschool.watching.selectors import OPEN_EVENT_KEY

from .conftest import TODAY, TOMORROW

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, district_admin):
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"
    return client


def change_url(session) -> str:
    return f"/admin/classroom/session/{session.pk}/change/"


def form_data(staff, session, **changes) -> dict:
    """What the change page would post back, with `changes` typed in."""
    form = staff.get(change_url(session)).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in {"grades", "teacher", "subject", "course", "starts_at", "ends_at"}
        and value is not None
    }
    data |= {
        "starts_at_0": TODAY.isoformat(),
        "starts_at_1": "14:00:00",
        "ends_at_0": TODAY.isoformat(),
        "ends_at_1": "14:40:00",
        "grades": [grade.pk for grade in session.grades.all()],
    }
    return data | changes


@pytest.fixture
def session(make_session):
    session = make_session(start="14:00", end="14:40")
    Session.objects.filter(pk=session.pk).update(capacity=2)
    session.refresh_from_db()
    return session


def test_a_save_keeps_a_seat_booked_since_the_page_was_loaded(
    staff, clock, session, student, district_admin
):
    model_admin = site._registry[Session]
    request = RequestFactory().post(change_url(session))
    request.user = district_admin
    loaded = Session.objects.get(pk=session.pk)  # what the admin's view read
    form = model_admin.get_form(request, loaded, change=True)(
        form_data(staff, session, title="分数的加减（复习）"), instance=loaded
    )
    assert form.is_valid(), form.errors
    # A student books between the admin's read of the row and its save.
    booking_create(learner=student, session=session)

    model_admin.save_model(request, model_admin.save_form(request, form, change=True), form, True)

    saved = Session.objects.get(pk=session.pk)
    assert (saved.title, saved.seats_taken, saved.capacity) == ("分数的加减（复习）", 1, 2)
    assert Booking.objects.get(learner=student).status == "confirmed"


def test_seats_status_and_reason_are_shown_not_edited(staff, clock, session):
    html = staff.get(change_url(session)).content.decode()
    assert 'name="capacity"' not in html and 'name="status"' not in html
    assert 'name="cancel_reason"' not in html
    assert "Change the seats on the session's “Who booked” page" in html
    assert "everyone who booked is told why" in html
    assert f'<a href="/sessions/{session.pk}/roster/">Who booked</a>' in html
    assert f'<a href="/manage/sessions/{session.pk}/cancel/">Cancel a session</a>' in html

    posted = form_data(
        staff,
        session,
        capacity="100",
        seats_taken="7",
        status="cancelled",
        cancel_reason="随便",
        title="新标题",
    )
    assert staff.post(change_url(session), posted).status_code == 302

    saved = Session.objects.get(pk=session.pk)
    assert (saved.title, saved.capacity, saved.seats_taken) == ("新标题", 2, 0)
    assert (saved.status, saved.cancel_reason) == ("scheduled", "")


def test_moving_a_session_drops_both_days_cached_pages(staff, clock, session):
    before = {day: timetable_version(day) for day in (TODAY, TOMORROW)}
    key = OPEN_EVENT_KEY.format(pk=session.pk, revision=timetable_revision())
    cache.set(key, False, 60)

    posted = form_data(
        staff, session, starts_at_0=TOMORROW.isoformat(), ends_at_0=TOMORROW.isoformat()
    )
    assert staff.post(change_url(session), posted).status_code == 302

    assert Session.objects.get(pk=session.pk).day == TOMORROW
    assert all(timetable_version(day) != before[day] for day in (TODAY, TOMORROW))
    assert cache.get(key) is None


def test_a_session_added_here_is_on_its_days_timetable(staff, clock, session):
    posted = form_data(staff, session, title="加课", starts_at_1="16:00:00", ends_at_1="16:40:00")
    posted["share_code"] = "added01"

    assert staff.post("/admin/classroom/session/add/", posted).status_code == 302

    added = Session.objects.get(title="加课")
    assert (added.day, added.capacity, added.seats_taken, added.status) == (
        TODAY,
        None,
        0,
        "scheduled",
    )
