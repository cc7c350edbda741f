"""The booking rules: who may book, seats, overlaps, cancelling, the waitlist, reminders."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from eschool.accounts.models import Guardianship
from eschool.classroom.models import Booking, Session
from eschool.classroom.services import session_update
from eschool.classroom.services.booking import (
    BookingRefused,
    _audience_refusal,
    audience_filter,
    booking_cancel,
    booking_create,
    promote_waitlist,
    reminders_send,
    session_capacity_set,
)
from eschool.classroom.tasks import send_booking_reminders
from eschool.homeschool.models import Notification
from eschool.org.models import Stage

from .booking_helpers import make_student, seat_maker
from .conftest import TODAY, shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture
def seated(make_session):
    return seat_maker(make_session)


@pytest.fixture(autouse=True)
def _english():
    # Refusals are read in English here; notifications are written in Chinese.
    with translation.override("en"):
        yield


def refusal(learner, session, **kwargs) -> str:
    with pytest.raises(BookingRefused) as refused:
        booking_create(learner=learner, session=session, **kwargs)
    return refused.value.message


def seats(session) -> int:
    return Session.objects.get(pk=session.pk).seats_taken


# Who may book ------------------------------------------------------------------------


def test_a_student_of_the_sessions_grade_books_a_seat(clock, seated, student):
    session = seated(capacity=2)

    booking = booking_create(learner=student, session=session)

    assert booking.status == Booking.Status.CONFIRMED
    assert booking.queued_at == shanghai(TODAY, "10:00")
    assert seats(session) == 1


def test_a_student_of_another_grade_is_refused(clock, seated, student):
    session = seated(grades=["八年级"])

    assert refusal(student, session) == "This session is for other grades."
    assert (seats(session), Booking.objects.count()) == (0, 0)


def test_a_session_without_grades_is_for_every_student_of_its_stage(clock, seated, student):
    junior = seated(grades=[], start="14:00", end="14:40")
    primary = seated(grades=[], stage=Stage.PRIMARY, start="15:00", end="15:40")

    assert booking_create(learner=student, session=junior).status == Booking.Status.CONFIRMED
    assert refusal(student, primary) == "This session is for other grades."


def test_an_outside_learner_books_only_public_sessions(clock, seated, outside_learner):
    closed = seated(start="14:00", end="14:40")
    public = seated(start="15:00", end="15:40", open_to_public=True)

    assert refusal(outside_learner, closed) == "This session is for the district's own students."
    booking = booking_create(learner=outside_learner, session=public)
    assert booking.status == Booking.Status.CONFIRMED


def test_parents_book_parenting_courses_and_children_do_not(clock, seated, student, parent):
    lesson = seated(start="14:00", end="14:40")
    parenting = seated(kind=Session.Kind.PARENTING, start="20:00", end="20:30", subject=None)

    assert refusal(parent, lesson) == (
        "Parents book parenting courses; children book their own classes."
    )
    assert refusal(student, parenting) == "This course is for parents."
    assert booking_create(learner=parent, session=parenting).status == Booking.Status.CONFIRMED


def test_a_teacher_with_a_child_counts_as_a_parent(clock, seated, teacher, student):
    Guardianship.objects.create(guardian=teacher, student=student.student)
    parenting = seated(kind=Session.Kind.PARENTING, start="20:00", end="20:30", subject=None)
    lesson = seated(start="14:00", end="14:40")

    assert booking_create(learner=teacher, session=parenting).status == Booking.Status.CONFIRMED
    assert refusal(teacher, lesson) == "Only learners book sessions."


def test_district_events_need_no_booking(clock, seated, student):
    event = seated(kind=Session.Kind.EVENT, start="15:00", end="15:30", capacity=None)

    assert refusal(student, event) == "No booking needed: everyone may join this session."
    assert Booking.objects.count() == 0


def test_unlimited_seats_are_booked_without_a_limit_or_a_waitlist(
    clock, make_session, school_a, student
):
    session = make_session(start="15:00", end="15:40")  # capacity None: unlimited
    others = [make_student(f"0070{n}", f"学生{n}", school=school_a) for n in range(3)]

    bookings = [booking_create(learner=learner, session=session) for learner in [student, *others]]
    again = booking_create(learner=student, session=session, waitlist=True)

    assert [b.status for b in bookings] == ["confirmed"] * 4
    assert again.pk == bookings[0].pk
    assert (seats(session), Booking.objects.filter(session=session).count()) == (4, 4)
    cancelled = booking_cancel(learner=student, booking=bookings[0])
    assert cancelled.status == Booking.Status.CANCELLED
    assert seats(session) == 3


def test_the_audience_filter_follows_the_booking_rule(clock, seated, personas):
    sessions = {
        "七年级": seated(grades=["七年级"]),
        "八年级": seated(grades=["八年级"], start="15:00", end="15:40"),
        "初中": seated(grades=[], start="16:00", end="16:40"),
        "小学": seated(grades=[], stage=Stage.PRIMARY, start="17:00", end="17:40"),
        "公开": seated(grades=["九年级"], open_to_public=True, start="18:00", end="18:40"),
        "育儿": seated(kind=Session.Kind.PARENTING, subject=None, start="20:00", end="20:30"),
    }
    audiences = {}
    for name, user in personas.items():
        in_filter = set(Session.objects.filter(audience_filter(user)).values_list("pk", flat=True))
        by_rule = {label for label, s in sessions.items() if _audience_refusal(user, s) is None}
        assert {label for label, s in sessions.items() if s.pk in in_filter} == by_rule, name
        audiences[name] = sorted(by_rule)
    assert audiences == {
        "district_admin": [],
        "school_admin": [],
        "teacher": [],
        "student": ["七年级", "公开", "初中"],
        "parent": ["育儿"],
        "stranger": ["七年级", "公开", "初中"],
        "outside_learner": ["公开"],
    }


def test_a_cancelled_session_is_refused(clock, seated, student):
    session = seated(status=Session.Status.CANCELLED)

    assert refusal(student, session) == "This session is cancelled."


def test_booking_closes_when_the_session_starts(clock, seated, student, stranger):
    session = seated()

    clock.set(shanghai(TODAY, "14:00") - dt.timedelta(seconds=1))
    assert booking_create(learner=student, session=session).status == Booking.Status.CONFIRMED
    clock.set(shanghai(TODAY, "14:00"))
    assert refusal(stranger, session) == "Booking closed when the session started."
    assert seats(session) == 1


def test_a_disabled_account_cannot_book(clock, seated, student):
    student.is_active = False
    student.save(update_fields=["is_active"])

    assert refusal(student, seated()) == "This account is disabled."


# Overlaps, double clicks, rebooking --------------------------------------------------


def test_a_learner_cannot_book_two_overlapping_sessions(clock, seated, student):
    first = seated(title="语文", start="14:00", end="14:40", capacity=1)
    overlapping = seated(title="英语", start="14:30", end="15:10")
    after = seated(title="物理", start="14:40", end="15:20")

    booking_create(learner=student, session=first)

    assert refusal(student, overlapping) == "You already booked “语文” at that time (14:00–14:40)."
    assert booking_create(learner=student, session=after).status == Booking.Status.CONFIRMED
    assert seats(overlapping) == 0


def test_a_place_on_a_waitlist_does_not_stop_a_fallback_booking(
    clock, seated, school_a, student, stranger
):
    full = seated(title="语文", start="14:00", end="14:40", capacity=1)
    booking_create(learner=stranger, session=full)
    booking_create(learner=student, session=full, waitlist=True)
    other_full = seated(title="美术", start="14:10", end="14:50", capacity=1)
    booking_create(learner=make_student("00701", "李四", school=school_a), session=other_full)
    fallback = seated(title="英语", start="14:20", end="15:00")

    # A second waitlist at the same time, and a seat at the same time: both allowed.
    assert booking_create(learner=student, session=other_full, waitlist=True).status == (
        Booking.Status.WAITLISTED
    )
    assert booking_create(learner=student, session=fallback).status == Booking.Status.CONFIRMED
    assert dict(
        Booking.objects.filter(learner=student).values_list("session__title", "status")
    ) == {"语文": "waitlisted", "美术": "waitlisted", "英语": "confirmed"}


def test_a_seat_stops_joining_an_overlapping_waitlist(clock, seated, student, stranger):
    mine = seated(title="语文", start="14:00", end="14:40")
    booking_create(learner=student, session=mine)
    full = seated(title="英语", start="14:20", end="15:00", capacity=1)
    booking_create(learner=stranger, session=full)

    message = refusal(student, full, waitlist=True)

    assert message == "You already booked “语文” at that time (14:00–14:40)."
    assert not Booking.objects.filter(learner=student, session=full).exists()


def test_a_cancelled_session_does_not_block_an_overlapping_one(clock, seated, student):
    first = seated(title="语文", start="14:00", end="14:40")
    booking_create(learner=student, session=first)
    Session.objects.filter(pk=first.pk).update(status=Session.Status.CANCELLED)
    other = seated(title="英语", start="14:20", end="15:00")

    assert booking_create(learner=student, session=other).status == Booking.Status.CONFIRMED


def test_booking_twice_returns_the_same_booking(clock, seated, student):
    session = seated(capacity=5)

    first = booking_create(learner=student, session=session)
    second = booking_create(learner=student, session=session)

    assert second.pk == first.pk
    assert Booking.objects.filter(learner=student).count() == 1
    assert seats(session) == 1


def test_booking_again_after_cancelling_reuses_the_row(clock, seated, student):
    session = seated(capacity=5)
    first = booking_create(learner=student, session=session)
    booking_cancel(learner=student, booking=first)

    clock.set(shanghai(TODAY, "11:00"))
    again = booking_create(learner=student, session=session)

    assert again.pk == first.pk
    assert again.status == Booking.Status.CONFIRMED
    assert again.queued_at == shanghai(TODAY, "11:00")
    assert seats(session) == 1


# Full sessions and cancelling --------------------------------------------------------


def test_a_full_session_refuses_unless_asked_for_the_waitlist(clock, seated, student, stranger):
    session = seated(capacity=1)
    booking_create(learner=stranger, session=session)

    assert refusal(student, session) == "This session is full."
    assert not Booking.objects.filter(learner=student).exists()

    waiting = booking_create(learner=student, session=session, waitlist=True)
    assert waiting.status == Booking.Status.WAITLISTED
    assert seats(session) == 1


def test_cancelling_frees_the_seat(clock, seated, student):
    session = seated(capacity=1)
    booking = booking_create(learner=student, session=session)

    cancelled = booking_cancel(learner=student, booking=booking)

    assert cancelled.status == Booking.Status.CANCELLED
    assert seats(session) == 0
    # Twice changes nothing, and the count never goes below zero.
    booking_cancel(learner=student, booking=booking)
    assert seats(session) == 0


def test_leaving_the_waitlist_keeps_the_seats(clock, seated, student, stranger):
    session = seated(capacity=1)
    booking_create(learner=stranger, session=session)
    waiting = booking_create(learner=student, session=session, waitlist=True)

    assert booking_cancel(learner=student, booking=waiting).status == Booking.Status.CANCELLED
    assert seats(session) == 1


def test_cancelling_closes_when_the_session_starts(clock, seated, student):
    session = seated()
    booking = booking_create(learner=student, session=session)

    clock.set(shanghai(TODAY, "14:00"))
    with pytest.raises(BookingRefused) as refused:
        booking_cancel(learner=student, booking=booking)

    assert refused.value.message == "The session has started; the booking can no longer change."
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    assert seats(session) == 1


def test_nobody_cancels_someone_elses_booking(clock, seated, student, stranger):
    booking = booking_create(learner=student, session=seated())

    with pytest.raises(PermissionDenied):
        booking_cancel(learner=stranger, booking=booking)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


# The waitlist --------------------------------------------------------------------------


def promoted_notifications(user, language="zh-hans") -> list[str]:
    """The titles as the learner reads them, in `language`."""
    with translation.override(language):
        return [
            n.shown_title
            for n in Notification.objects.filter(user=user, key__startswith="promoted:")
        ]


def test_a_freed_seat_goes_to_the_first_eligible_waiting_learner(clock, seated, school_a, student):
    session = seated(title="分数的加减", capacity=1)
    booking = booking_create(learner=student, session=session)
    waiting = []
    for number, name in enumerate(["甲", "乙", "丙", "丁"]):
        clock.set(shanghai(TODAY, "10:00") + dt.timedelta(minutes=number + 1))
        learner = make_student(f"0090{number}", name, school=school_a)
        waiting.append(learner)
        booking_create(learner=learner, session=session, waitlist=True)
    disabled, overlapping, first_eligible, last = waiting
    # The first in the queue left the district; the second now has a seat at an
    # overlapping time (booked at 13:00, then the district moved that session).
    disabled.is_active = False
    disabled.save(update_fields=["is_active"])
    moved = seated(title="英语", start="13:00", end="13:40")
    booking_create(learner=overlapping, session=moved)
    Session.objects.filter(pk=moved.pk).update(
        starts_at=shanghai(TODAY, "14:10"), ends_at=shanghai(TODAY, "14:50")
    )

    booking_cancel(learner=student, booking=booking)

    statuses = dict(Booking.objects.filter(session=session).values_list("learner__name", "status"))
    assert statuses == {
        "张三": "cancelled",
        "甲": "cancelled",
        "乙": "cancelled",
        "丙": "confirmed",
        "丁": "waitlisted",
    }
    assert seats(session) == 1
    assert promoted_notifications(first_eligible) == ["有座位了：分数的加减"]
    assert promoted_notifications(last) == []
    assert Notification.objects.filter(key__startswith="promoted:").count() == 1
    # Promoting again (nothing free) notifies nobody a second time.
    assert promote_waitlist(session=session) == []
    assert promoted_notifications(first_eligible) == ["有座位了：分数的加减"]


def test_raising_the_capacity_promotes_in_queue_order(
    clock, seated, school_a, student, district_admin
):
    session = seated(capacity=1)
    booking_create(learner=student, session=session)
    learners = []
    for number in range(3):
        clock.set(shanghai(TODAY, "10:00") + dt.timedelta(minutes=number + 1))
        learner = make_student(f"0080{number}", f"学生{number}", school=school_a)
        learners.append(learner)
        booking_create(learner=learner, session=session, waitlist=True)

    session_capacity_set(actor=district_admin, session=session, capacity=3)

    assert [
        Booking.objects.get(learner=learner, session=session).status for learner in learners
    ] == ["confirmed", "confirmed", "waitlisted"]
    assert Session.objects.get(pk=session.pk).seats_taken == 3
    assert Notification.objects.filter(key__startswith="promoted:").count() == 2


def test_a_promoted_learner_leaves_their_other_waitlists_at_that_time(
    clock, seated, school_a, student, stranger
):
    first = seated(title="语文", start="14:00", end="14:40", capacity=1)
    second = seated(title="英语", start="14:20", end="15:00", capacity=1)
    later = seated(title="物理", start="16:00", end="16:40", capacity=1)
    holders = [make_student(f"0050{n}", f"占座{n}", school=school_a) for n in range(3)]
    seat_of_first = booking_create(learner=holders[0], session=first)
    seat_of_second = booking_create(learner=holders[1], session=second)
    booking_create(learner=holders[2], session=later)
    for session in (first, second, later):
        booking_create(learner=student, session=session, waitlist=True)
    clock.set(shanghai(TODAY, "10:05"))
    booking_create(learner=stranger, session=second, waitlist=True)

    booking_cancel(learner=holders[0], booking=seat_of_first)

    assert dict(
        Booking.objects.filter(learner=student).values_list("session__title", "status")
    ) == {"语文": "confirmed", "英语": "cancelled", "物理": "waitlisted"}
    # The next seat of 英语 goes to the one still waiting for it.
    booking_cancel(learner=holders[1], booking=seat_of_second)
    assert Booking.objects.get(learner=stranger, session=second).status == "confirmed"
    assert (seats(first), seats(second), seats(later)) == (1, 1, 1)


def test_unlimited_seats_promote_the_whole_waitlist(
    clock, seated, school_a, student, district_admin
):
    session = seated(capacity=1)
    booking_create(learner=student, session=session)
    waiting = [make_student(f"0040{n}", f"学生{n}", school=school_a) for n in range(3)]
    for learner in waiting:
        booking_create(learner=learner, session=session, waitlist=True)

    session_capacity_set(actor=district_admin, session=session, capacity=None)

    assert (
        list(Booking.objects.filter(session=session).values_list("status", flat=True))
        == ["confirmed"] * 4
    )
    assert seats(session) == 4
    assert Notification.objects.filter(key__startswith="promoted:").count() == 3


def seat_freed_without_promotion(session, *, holder, waiting):
    """`holder`'s cancel committed, and its promotion never ran (the worker stopped)."""
    booking_create(learner=holder, session=session)
    booking_create(learner=waiting, session=session, waitlist=True)
    Booking.objects.filter(learner=holder).update(status=Booking.Status.CANCELLED)
    Session.objects.filter(pk=session.pk).update(seats_taken=0)


def test_a_seat_freed_while_learners_wait_is_theirs_not_a_newcomers(
    clock, seated, school_a, student, stranger, django_capture_on_commit_callbacks
):
    session = seated(capacity=1)
    holder = make_student("00300", "占座", school=school_a)
    seat_freed_without_promotion(session, holder=holder, waiting=student)

    with django_capture_on_commit_callbacks(execute=True):
        assert refusal(stranger, session) == "This session is full."

    # The newcomer's try ran the promotion that was missing.
    assert Booking.objects.get(learner=student).status == Booking.Status.CONFIRMED
    assert not Booking.objects.filter(learner=stranger).exists()
    assert seats(session) == 1
    assert promoted_notifications(student) == ["有座位了：分数的加减"]


def test_a_newcomer_queues_behind_those_waiting_for_a_freed_seat(
    clock, seated, school_a, student, stranger, django_capture_on_commit_callbacks
):
    session = seated(capacity=1)
    holder = make_student("00301", "占座", school=school_a)
    seat_freed_without_promotion(session, holder=holder, waiting=student)

    with django_capture_on_commit_callbacks(execute=True):
        newcomer = booking_create(learner=stranger, session=session, waitlist=True)

    assert newcomer.status == Booking.Status.WAITLISTED
    assert Booking.objects.get(learner=student).status == Booking.Status.CONFIRMED
    assert Booking.objects.get(learner=stranger).status == Booking.Status.WAITLISTED
    assert seats(session) == 1


def test_a_district_event_gets_no_seats(clock, seated, district_admin):
    event = seated(kind=Session.Kind.EVENT, capacity=None)

    with pytest.raises(ValidationError) as refused:
        session_capacity_set(actor=district_admin, session=event, capacity=100)

    assert refused.value.message_dict == {
        "capacity": ["A district event is for everyone: leave the seats empty."]
    }
    assert Session.objects.get(pk=event.pk).capacity is None


def test_a_session_with_seats_does_not_become_an_event(clock, seated, district_admin):
    session = seated(capacity=30)
    fields = {
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "stage": session.stage,
        "grades": list(session.grades.all()),
        "title": session.title,
        "subject": session.subject,
        "teacher": None,
        "description": "",
    }

    with pytest.raises(ValidationError) as refused:
        session_update(actor=district_admin, session=session, kind=Session.Kind.EVENT, **fields)

    assert refused.value.message_dict == {
        "kind": ["A district event has no seats: first set this session's seats to unlimited."]
    }
    assert Session.objects.get(pk=session.pk).kind == Session.Kind.CLASS
    session_capacity_set(actor=district_admin, session=session, capacity=None)
    session.refresh_from_db()
    event = session_update(actor=district_admin, session=session, kind=Session.Kind.EVENT, **fields)
    assert (event.kind, event.capacity) == ("event", None)


def test_changing_a_session_keeps_the_seats_booked_meanwhile(
    clock, seated, student, district_admin
):
    session = seated(capacity=30)
    loaded = Session.objects.get(pk=session.pk)  # the edit form's copy
    booking_create(learner=student, session=session)

    session_update(
        actor=district_admin,
        session=loaded,
        starts_at=loaded.starts_at,
        ends_at=loaded.ends_at,
        stage=loaded.stage,
        grades=list(loaded.grades.all()),
        title="分数的加减（复习）",
        kind=loaded.kind,
        subject=loaded.subject,
        teacher=None,
        description="",
    )

    saved = Session.objects.get(pk=session.pk)
    assert (saved.title, saved.seats_taken, saved.capacity) == ("分数的加减（复习）", 1, 30)


def test_the_capacity_cannot_go_below_the_seats_taken(
    clock, seated, student, school_a, district_admin
):
    session = seated(capacity=3)
    booking_create(learner=student, session=session)
    booking_create(learner=make_student("00901", "学生甲", school=school_a), session=session)

    with pytest.raises(ValidationError) as invalid:
        session_capacity_set(actor=district_admin, session=session, capacity=1)

    assert invalid.value.message_dict == {
        "capacity": ["2 seats are already booked; the capacity cannot be lower."]
    }
    assert Session.objects.get(pk=session.pk).capacity == 3
    assert session_capacity_set(actor=district_admin, session=session, capacity=2).capacity == 2


def test_only_district_administrators_change_the_capacity(clock, seated, school_admin, teacher):
    session = seated(capacity=2)

    for actor in (school_admin, teacher):
        with pytest.raises(PermissionDenied):
            session_capacity_set(actor=actor, session=session, capacity=10)
    assert Session.objects.get(pk=session.pk).capacity == 2


def test_nobody_is_promoted_once_the_session_started(clock, seated, student, stranger):
    session = seated(capacity=1)
    booking_create(learner=student, session=session)
    booking_create(learner=stranger, session=session, waitlist=True)
    Session.objects.filter(pk=session.pk).update(seats_taken=0)

    clock.set(shanghai(TODAY, "14:00"))
    assert promote_waitlist(session=session) == []
    assert Booking.objects.get(learner=stranger).status == Booking.Status.WAITLISTED


# Reminders ---------------------------------------------------------------------------


def test_reminders_go_once_ten_minutes_before(clock, seated, school_a, student, stranger):
    session = seated(title="分数的加减", capacity=1)
    booking_create(learner=student, session=session)
    booking_create(learner=stranger, session=session, waitlist=True)
    later = seated(title="英语", start="15:00", end="15:40")
    booking_create(learner=student, session=later)

    clock.set(shanghai(TODAY, "13:49"))
    assert reminders_send() == 0
    clock.set(shanghai(TODAY, "13:50"))
    assert reminders_send() == 1
    clock.set(shanghai(TODAY, "13:51"))
    assert reminders_send() == 0
    assert send_booking_reminders.call_local() == 0

    reminders = Notification.objects.filter(key__startswith="reminder:").select_related("user")

    def read_in(language):
        with translation.override(language):
            return [(n.user.name, n.key, n.shown_title, n.shown_body, n.url) for n in reminders]

    assert read_in("zh-hans") == [
        (
            "张三",
            f"reminder:{session.pk}",
            "10 分钟后开始：分数的加减",
            "分数的加减 14:00 开始。",
            f"/sessions/{session.pk}/",
        )
    ]
    # The same notification, read by someone who switched to English.
    assert read_in("en")[0][2:4] == (
        "Starting in 10 minutes: 分数的加减",
        "分数的加减 starts at 14:00.",
    )


def test_unlimited_seats_are_reminded_too(clock, make_session, student):
    session = make_session(start="14:00", end="14:40")
    booking_create(learner=student, session=session)

    assert reminders_send(at=shanghai(TODAY, "13:50")) == 1
    assert list(Notification.objects.values_list("key", flat=True)) == [f"reminder:{session.pk}"]


def test_reminders_skip_started_sessions_and_disabled_accounts(clock, seated, student, stranger):
    session = seated(capacity=5)
    booking_create(learner=student, session=session)
    booking_create(learner=stranger, session=session)
    stranger.is_active = False
    stranger.save(update_fields=["is_active"])

    assert reminders_send(at=shanghai(TODAY, "14:00")) == 0
    assert reminders_send(at=shanghai(TODAY, "13:55")) == 1
    assert list(Notification.objects.values_list("user__name", flat=True)) == ["张三"]


@pytest.mark.parametrize("capacity", [0, -1, 99999999999999999999])
def test_a_number_of_seats_out_of_range_is_refused_and_changes_nothing(
    clock, seated, district_admin, capacity
):
    session = seated(capacity=30)

    with pytest.raises(ValidationError) as refused:
        session_capacity_set(actor=district_admin, session=session, capacity=capacity)

    assert "1,000,000" in refused.value.message_dict["capacity"][0]
    session.refresh_from_db()
    assert session.capacity == 30
