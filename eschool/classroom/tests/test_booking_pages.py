"""The booking pages: the session page's panel, booking by POST, my timetable, the roster, JSON."""

import re

import pytest
from django.urls import reverse

from eschool.accounts.models import Role, Teacher
from eschool.classroom.models import Booking, Session
from eschool.classroom.services.booking import booking_create
from eschool.core.testing import make_user

from .booking_helpers import make_student, seat_maker
from .conftest import TODAY, shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture
def seated(make_session):
    return seat_maker(make_session)


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def page(client, session) -> str:
    response = client.get(reverse("classroom:session", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def book_url(session) -> str:
    return reverse("classroom:book", args=[session.pk])


# The session page ------------------------------------------------------------------


def test_a_visitor_sees_the_seats_and_is_asked_to_log_in(english, clock, seated):
    session = seated(capacity=40)
    Session.objects.filter(pk=session.pk).update(seats_taken=28)

    html = page(english, session)

    assert "12 of 40 seats left" in html
    assert f'<a href="/accounts/login/?next=%2Fsessions%2F{session.pk}%2F">Log in</a>' in html
    assert (
        f'<a href="/accounts/register/?next=%2Fsessions%2F{session.pk}%2F">register</a> to book.'
        in html
    )
    assert "Book a seat" not in html


def test_the_page_shows_seats_in_chinese(client, clock, seated):
    session = seated(capacity=40)
    Session.objects.filter(pk=session.pk).update(seats_taken=28)

    assert "剩余 12 / 40 席" in page(client, session)


def test_a_student_books_from_the_page_and_can_cancel(english, clock, seated, student):
    session = seated(capacity=2)
    english.force_login(student)
    assert "Book a seat" in page(english, session)

    response = english.post(book_url(session))

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/#booking"
    assert Booking.objects.get(learner=student).status == Booking.Status.CONFIRMED
    html = page(english, session)
    assert "Your seat is booked." in html
    assert "You have booked a seat." in html
    assert "1 of 2 seats left" in html
    assert "Cancel my booking" in html

    english.post(reverse("classroom:booking_cancel", args=[session.pk]))

    assert Booking.objects.get(learner=student).status == Booking.Status.CANCELLED
    assert Session.objects.get(pk=session.pk).seats_taken == 0
    assert "Your booking is cancelled." in page(english, session)


def test_a_booked_learner_sees_that_a_cancelled_session_voids_the_booking(
    english, clock, seated, student, district_admin
):
    from eschool.classroom.services import session_cancel

    session = seated(capacity=2)
    booking_create(learner=student, session=session)
    session_cancel(actor=district_admin, session=session, reason="老师生病")
    english.force_login(student)

    html = page(english, session)

    assert "This session is cancelled: 老师生病" in html
    assert "Your booking no longer stands; there is nothing to cancel." in html
    assert "You have booked a seat." not in html
    assert "Cancel my booking" not in html


def test_a_cancelled_sessions_booking_card_says_cancelled_instead_of_seats(
    english, clock, seated, student, district_admin
):
    from eschool.classroom.services import session_cancel

    session = seated(capacity=40)
    session_cancel(actor=district_admin, session=session, reason="老师生病")
    english.force_login(student)

    booking_card = page(english, session).split('id="booking"')[1].split("</section>")[0]

    assert '<span class="badge cancelled">Cancelled</span>This session is cancelled: 老师生病' in (
        booking_card
    )
    assert "seats left" not in booking_card
    assert "Booking closed" not in booking_card
    assert "Book a seat" not in booking_card


def test_a_cancelled_sessions_status_gives_its_reason_in_the_pages_language_and_no_share_card(
    client, clock, seated, student, district_admin
):
    from eschool.classroom.services import session_cancel

    session = seated(capacity=40)
    assert 'class="card share"' in page(client, session)
    session_cancel(actor=district_admin, session=session, reason="老师生病")
    client.force_login(student)

    html = page(client, session)

    assert "<dd>已取消：老师生病</dd>" in html  # the full-width colon, not "已取消: 老师生病"
    assert 'class="card share"' not in html  # a withdrawn session is not shared any further
    client.cookies["django_language"] = "en"
    assert "<dd>Cancelled: 老师生病</dd>" in page(client, session)


def test_a_cancelled_session_without_a_reason_says_so_plainly(english, clock, seated):
    session = seated(capacity=40, status=Session.Status.CANCELLED)

    html = page(english, session)

    assert '<span class="badge cancelled">Cancelled</span>This session is cancelled.</p>' in html
    assert "40 of 40 seats left" not in html


def test_cancelling_a_seat_asks_first_that_it_may_go_to_the_next_one_waiting(
    english, clock, seated, student, stranger
):
    session = seated(capacity=1)
    booking_create(learner=student, session=session)
    booking_create(learner=stranger, session=session, waitlist=True)
    cancel_form = f'<form method="post" action="/sessions/{session.pk}/cancel-booking/"'

    english.force_login(student)
    seat_holder = page(english, session)
    english.force_login(stranger)
    waiting = page(english, session)

    assert (
        f'{cancel_form} data-confirm="Cancel your booking? Your seat may go at once to the next '
        'person waiting, and you may not get it back.">'
    ) in seat_holder
    assert (
        f'{cancel_form} data-confirm="Leave the waitlist? You lose your place in the queue.">'
    ) in waiting
    assert 'src="/static/js/confirm.js"' in seat_holder


def test_a_full_session_offers_the_waitlist(english, clock, seated, student, stranger):
    session = seated(capacity=1)
    booking_create(learner=stranger, session=session)
    english.force_login(student)

    html = page(english, session)
    assert "0 of 1 seats left" in html
    assert "Join the waitlist" in html

    english.post(book_url(session), {"waitlist": "1"})

    assert Booking.objects.get(learner=student).status == Booking.Status.WAITLISTED
    assert "You are on the waitlist." in page(english, session)


def test_unlimited_seats_are_booked_and_cancelled_from_the_page(
    english, clock, make_session, student
):
    session = make_session(title="阅读", start="14:00", end="14:40")  # no capacity: unlimited
    english.force_login(student)
    html = page(english, session)
    assert "Unlimited seats" in html
    assert "Book a seat" in html

    english.post(book_url(session))

    assert Booking.objects.get(learner=student).status == Booking.Status.CONFIRMED
    html = page(english, session)
    assert "You have booked a seat." in html
    assert "Cancel my booking" in html
    timetable = english.get(reverse("classroom:my_timetable")).context["timetable"]
    assert [b.session.title for b in timetable.upcoming] == ["阅读"]
    english.post(reverse("classroom:booking_cancel", args=[session.pk]))
    assert Booking.objects.get(learner=student).status == Booking.Status.CANCELLED


def test_booked_learners_keep_their_cancel_button_when_seats_become_unlimited(
    english, clock, seated, student, district_admin
):
    session = seated(capacity=2)
    booking_create(learner=student, session=session)
    english.force_login(district_admin)
    english.post(reverse("classroom:session_capacity", args=[session.pk]), {"capacity": ""})
    assert Session.objects.get(pk=session.pk).capacity is None

    english.force_login(student)
    html = page(english, session)

    assert "Unlimited seats" in html
    assert "You have booked a seat." in html
    assert "Cancel my booking" in html


def test_a_district_event_has_no_booking_and_no_seats_form(
    english, clock, seated, student, district_admin
):
    event = seated(kind=Session.Kind.EVENT, capacity=None, title="升旗仪式")
    english.force_login(student)
    html = page(english, event)
    assert "No booking needed: everyone may join this session." in html
    assert "Book a seat" not in html

    english.force_login(district_admin)
    assert 'name="capacity"' not in english.get(roster_url(event)).content.decode()
    response = english.post(
        reverse("classroom:session_capacity", args=[event.pk]), {"capacity": "50"}
    )
    assert response.status_code == 400
    assert "A district event is for everyone: leave the seats empty." in (response.content.decode())
    assert Session.objects.get(pk=event.pk).capacity is None


def test_a_refusal_shows_next_to_the_button_once(english, clock, seated, student, stranger):
    session = seated(capacity=1)
    booking_create(learner=stranger, session=session)
    english.force_login(student)

    # Full, and the form without the waitlist flag (a page opened before it filled up).
    response = english.post(book_url(session), follow=True)

    assert '<p class="errorlist" role="alert">This session is full.</p>' in (
        response.content.decode()
    )
    assert not Booking.objects.filter(learner=student).exists()
    assert "This session is full." not in page(english, session)


def test_a_student_of_another_grade_sees_why_instead_of_a_button(english, clock, seated, student):
    session = seated(grades=["八年级"])
    english.force_login(student)

    html = page(english, session)

    assert "This session is for other grades." in html
    assert "Book a seat" not in html


def test_booking_needs_a_post_and_a_login(english, clock, seated, student):
    session = seated()

    assert english.get(book_url(session)).status_code == 405
    response = english.post(book_url(session))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/sessions/{session.pk}/"
    assert Booking.objects.count() == 0


def test_an_unpublished_session_cannot_be_booked(english, clock, seated, student):
    session = seated(day=TODAY.replace(day=20))
    english.force_login(student)

    assert english.post(book_url(session)).status_code == 404
    assert Booking.objects.count() == 0


def test_the_session_page_reads_the_booking_in_one_query(
    client, clock, seated, student, django_assert_num_queries
):
    session = seated()
    client.force_login(student)
    client.get(reverse("classroom:session", args=[session.pk]))
    # session, user, the session with its relations, its grades, the learner's
    # booking, the learner's student record (audience check), unread notifications,
    # the session's latest replay, its broadcast, and the booking again (may this learner
    # watch the live?)
    with django_assert_num_queries(10):
        client.get(reverse("classroom:session", args=[session.pk]))


# My timetable -------------------------------------------------------------------------


def test_my_timetable_lists_upcoming_and_past_bookings(english, clock, seated, student):
    morning = seated(title="早读", start="08:00", end="08:40")
    afternoon = seated(title="分数的加减", start="14:00", end="14:40", capacity=1)
    evening = seated(title="英语", start="19:00", end="19:40", capacity=0)
    Booking.objects.create(
        learner=student, session=morning, status="confirmed", queued_at=shanghai(TODAY, "07:00")
    )
    booking_create(learner=student, session=afternoon)
    booking_create(learner=student, session=evening, waitlist=True)
    english.force_login(student)

    response = english.get(reverse("classroom:my_timetable"))

    timetable = response.context["timetable"]
    assert [b.session.title for b in timetable.upcoming] == ["分数的加减", "英语"]
    assert [b.status for b in timetable.upcoming] == ["confirmed", "waitlisted"]
    assert [b.session.title for b in timetable.past] == ["早读"]
    html = response.content.decode()
    assert "On the waitlist" in html


def test_a_parent_sees_their_childs_timetable_only(
    english, clock, seated, student, parent, stranger
):
    session = seated(title="分数的加减")
    booking_create(learner=student, session=session)
    english.force_login(parent)

    own = english.get(reverse("classroom:my_timetable"))
    assert f'href="/my/children/{student.pk}/timetable/"' in own.content.decode()
    child = english.get(reverse("classroom:child_timetable", args=[student.pk]))
    assert child.status_code == 200
    assert [b.session.title for b in child.context["timetable"].upcoming] == ["分数的加减"]
    assert "张三's timetable" in child.content.decode()

    other = english.get(reverse("classroom:child_timetable", args=[stranger.pk]))
    assert other.status_code == 404
    assert english.get("/my/children/999999/timetable/").status_code == 404


def test_a_parents_own_bookings_are_headed_apart_from_the_childrens(
    english, clock, seated, student, parent
):
    booking_create(learner=student, session=seated(title="分数的加减"))
    english.force_login(parent)

    html = english.get(reverse("classroom:my_timetable")).content.decode()

    children = html.index('<h2 id="children-heading">My children\'s timetables</h2>')
    child_link = html.index(f'href="/my/children/{student.pk}/timetable/"')
    own = html.index("<h2>My own bookings</h2>")
    upcoming = html.index("<h3>Upcoming</h3>")
    empty = html.index("No upcoming bookings. Open the timetable to book a session.")
    assert children < child_link < own < upcoming < empty
    assert "Sessions you booked yourself, such as parenting courses." in html
    # The child's booking is on the child's page, not under the parent's own.
    assert "分数的加减" not in html


def test_a_student_sees_no_parents_headings(english, clock, student):
    english.force_login(student)

    html = english.get(reverse("classroom:my_timetable")).content.decode()

    assert "<h2>Upcoming</h2>" in html
    assert "My own bookings" not in html


def test_a_cancelled_sessions_booking_is_listed_apart_marked_only_cancelled(
    english, clock, seated, student, district_admin
):
    from eschool.classroom.services import session_cancel

    kept = seated(title="早读", start="12:00", end="12:40")
    withdrawn = seated(title="分数的加减", start="14:00", end="14:40")
    booking_create(learner=student, session=kept)
    booking_create(learner=student, session=withdrawn)
    session_cancel(actor=district_admin, session=withdrawn, reason="老师生病")
    english.force_login(student)

    response = english.get(reverse("classroom:my_timetable"))

    timetable = response.context["timetable"]
    assert [b.session.title for b in timetable.upcoming] == ["早读"]
    assert [b.session.title for b in timetable.cancelled] == ["分数的加减"]
    assert timetable.past == []
    html = response.content.decode()
    cancelled_part = html.split("<h2>Cancelled sessions</h2>")[1].split("</ul>")[0]
    assert '<span class="badge cancelled">Cancelled</span>' in cancelled_part
    assert "badge booked" not in cancelled_part
    assert '<span class="reason">Reason: 老师生病</span>' in cancelled_part
    upcoming_part = html.split("<h2>Upcoming</h2>")[1].split("</ul>")[0]
    assert "早读" in upcoming_part
    assert "分数的加减" not in upcoming_part


def test_my_timetable_reads_in_the_same_queries_with_cancelled_sessions(
    client, clock, seated, student, district_admin, django_assert_num_queries
):
    from eschool.classroom.services import session_cancel

    sessions = [seated(start=start, end=start[:3] + "40") for start in ["12:00", "14:00", "16:00"]]
    for session in sessions:
        booking_create(learner=student, session=session)
    session_cancel(actor=district_admin, session=sessions[2], reason="老师生病")
    client.force_login(student)

    # session, user, the bookings, their sessions' grades, unread notifications,
    # is the user a guardian
    with django_assert_num_queries(6):
        client.get(reverse("classroom:my_timetable"))


def test_a_student_cannot_open_a_childs_timetable(client, clock, student, stranger):
    client.force_login(stranger)

    assert client.get(reverse("classroom:child_timetable", args=[student.pk])).status_code == 404


def test_my_timetable_needs_a_login(client):
    response = client.get(reverse("classroom:my_timetable"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/my/timetable/"


# The roster ---------------------------------------------------------------------------


@pytest.fixture
def taught(seated, teacher, school_a, student, stranger):
    session = seated(capacity=1, teacher=teacher)
    booking_create(learner=student, session=session)
    booking_create(learner=stranger, session=session, waitlist=True)
    return session


def roster_url(session) -> str:
    return reverse("classroom:roster", args=[session.pk])


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("teacher", 200),
        ("district_admin", 200),
        ("school_admin", 200),
        ("student", 404),
        ("parent", 404),
        ("outside_learner", 404),
    ],
)
def test_the_roster_is_for_the_teacher_and_administrators(
    client, clock, taught, personas, persona, status
):
    client.force_login(personas[persona])

    assert client.get(roster_url(taught)).status_code == status


def test_another_teacher_and_another_schools_admin_get_404(client, clock, taught, school_b):
    other_teacher = make_user("T0002", "李老师", Role.TEACHER, school=school_b)
    Teacher.objects.create(user=other_teacher, school=school_b)
    other_admin = make_user("SB001", "乙校管理员", Role.SCHOOL_ADMIN, school=school_b)

    for user in (other_teacher, other_admin):
        client.force_login(user)
        assert client.get(roster_url(taught)).status_code == 404


def test_the_roster_lists_booked_and_waiting_learners(english, clock, taught, teacher):
    english.force_login(teacher)

    response = english.get(roster_url(taught))

    roster = response.context["roster"]
    assert [b.learner.name for b in roster.confirmed] == ["张三"]
    assert [b.learner.name for b in roster.waitlisted] == ["王五"]
    html = response.content.decode()
    assert "南京市鼓楼区示范初级中学" in html
    assert "Grade 7 class 3" in html
    assert 'name="capacity"' not in html  # only district administrators change seats


def roster_text(html: str) -> str:
    body = html.split('<article class="roster">')[1].split("</article>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def test_the_seat_count_is_named_once_on_the_managers_roster(client, clock, taught, district_admin):
    client.force_login(district_admin)
    text = roster_text(client.get(roster_url(taught)).content.decode())
    assert text.count("座位数") == 1
    assert "1 座位数 0 剩余座位" in text
    assert "调整座位上限 上限 留空表示不限。" in text


def test_an_events_roster_says_no_booking_is_needed_under_booking(
    english, clock, seated, district_admin
):
    event = seated(kind=Session.Kind.EVENT, capacity=None, title="升旗仪式")
    english.force_login(district_admin)
    text = roster_text(english.get(roster_url(event)).content.decode())
    assert re.findall(r"Seats(?! left)", text) == ["Seats"]
    assert "Booking No booking needed: everyone may join this session." in text


def test_the_roster_query_count_does_not_grow(
    client, clock, taught, teacher, school_a, django_assert_num_queries
):
    client.force_login(teacher)
    client.get(roster_url(taught))
    # session, user, the session with teacher and school, the bookings with
    # learners, schools, grades and homerooms, unread notifications
    with django_assert_num_queries(5):
        client.get(roster_url(taught))
    for number in range(10):
        learner = make_student(f"0070{number}", f"学生{number}", school=school_a)
        booking_create(learner=learner, session=taught, waitlist=True)
    with django_assert_num_queries(5):
        response = client.get(roster_url(taught))
    assert len(response.context["roster"].waitlisted) == 11


def test_a_district_admin_raises_the_seats_and_the_queue_moves(
    english, clock, taught, district_admin, stranger
):
    english.force_login(district_admin)

    response = english.post(
        reverse("classroom:session_capacity", args=[taught.pk]), {"capacity": "2"}
    )

    assert response.status_code == 302
    assert Session.objects.get(pk=taught.pk).capacity == 2
    assert Booking.objects.get(learner=stranger).status == Booking.Status.CONFIRMED


def test_zero_seats_are_refused_and_the_form_keeps_the_value(
    english, clock, taught, district_admin
):
    english.force_login(district_admin)

    response = english.post(
        reverse("classroom:session_capacity", args=[taught.pk]), {"capacity": "0"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter between 1 and 1,000,000 seats, or leave it empty for unlimited." in html
    assert 'value="0"' in html
    assert Session.objects.get(pk=taught.pk).capacity == 1


def test_a_teacher_cannot_change_the_seats(client, clock, taught, teacher):
    client.force_login(teacher)

    response = client.post(
        reverse("classroom:session_capacity", args=[taught.pk]), {"capacity": "9"}
    )

    assert response.status_code == 404
    assert Session.objects.get(pk=taught.pk).capacity == 1


# JSON -----------------------------------------------------------------------------------


def test_the_json_timetable_gives_seats_and_booking_state(
    client, clock, seated, make_session, student, django_assert_num_queries
):
    started = seated(title="早读", start="08:00", end="08:40", capacity=30)
    open_ = seated(title="分数的加减", start="14:00", end="14:40", capacity=30)
    full = seated(title="英语", start="15:00", end="15:40", capacity=1)
    cancelled = seated(title="物理", start="16:00", end="16:40", status=Session.Status.CANCELLED)
    event = seated(title="升旗仪式", start="17:00", end="17:20", kind=Session.Kind.EVENT)
    unlimited = make_session(title="阅读", start="18:00", end="18:40")
    booking_create(learner=student, session=open_)
    booking_create(learner=student, session=full)

    # Sessions with their grades, the day's notices, and their playlists (hls_url): whatever
    # the number of sessions.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/timetable/2026-12-07")

    fields = {
        s["title"]: (s["seats"], s["seats_left"], s["booking"]) for s in response.json()["sessions"]
    }
    assert fields == {
        started.title: (30, 30, "closed"),
        open_.title: (30, 29, "open"),
        full.title: (1, 0, "full"),
        cancelled.title: (2, 2, "closed"),
        # An event has no seats, whatever its row says; unlimited seats are booked.
        event.title: (None, None, "not_needed"),
        unlimited.title: (None, None, "open"),
    }


def test_a_teachers_timetable_is_the_sessions_they_give_with_their_rosters(
    english, clock, seated, make_session, teacher, student
):
    taught = seated(title="分数的加减", start="14:00", end="14:40", capacity=30, teacher=teacher)
    unlimited = make_session(title="阅读", start="15:00", end="15:40", teacher=teacher)
    booking_create(learner=student, session=taught)
    booking_create(learner=student, session=unlimited)
    english.force_login(teacher)

    response = english.get(reverse("classroom:my_timetable"))

    html = response.content.decode()
    assert [s.title for s in response.context["taught"]] == ["分数的加减", "阅读"]
    assert "Roster: 1 / 30 booked" in html
    assert "Roster: 1 booked" in html
    assert reverse("classroom:roster", args=[taught.pk]) in html
    assert reverse("classroom:my_calendar") in html
