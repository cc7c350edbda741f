"""Matching: one teacher at a time, idle longest first, 30 s to accept, then the next."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from eschool.core import timeutil
from eschool.homeschool.models import Notification
from eschool.tutoring.models import Offer, Question, Shift, TutoringSession
from eschool.tutoring.services import asking, matching
from eschool.tutoring.services.shifts import shift_clock_out

from .conftest import MONDAY, make_asker, make_teacher, maths, on_duty, shanghai

pytestmark = pytest.mark.django_db


def ask(user, text="这道题怎么做？", grade_level=7):
    from eschool.org.models import Grade

    return asking.question_ask(
        asker=user, subject=maths(), grade=Grade.objects.get(level=grade_level), text=text
    )


def fresh(question):
    question.refresh_from_db()
    return question


def test_the_teacher_idle_longest_gets_the_offer(clock, teachers, student):
    question = fresh(ask(student))
    assert question.status == "offered"
    assert question.offered_to == teachers[0].teacher  # 甲, online since 19:31
    assert question.offer_expires_at == clock_now() + dt.timedelta(seconds=30)


def clock_now():
    return timeutil.now()


def test_decline_moves_the_question_to_the_next_teacher(clock, teachers, student):
    question = fresh(ask(student))
    matching.offer_decline(actor=teachers[0], question=question)
    question = fresh(question)
    assert (question.status, question.offered_to) == ("offered", teachers[1].teacher)
    assert list(Offer.objects.filter(question=question).values_list("outcome", flat=True)) == [
        "declined",
        "pending",
    ]


def test_an_offer_left_30_seconds_goes_to_the_next_teacher(clock, teachers, student):
    question = fresh(ask(student))
    clock.advance(seconds=29)
    assert matching.offers_expire() == 0
    clock.advance(seconds=1)
    assert matching.offers_expire() == 1
    question = fresh(question)
    assert (question.status, question.offered_to) == ("offered", teachers[1].teacher)
    assert Offer.objects.get(question=question, teacher=teachers[0].teacher).outcome == "expired"


def test_an_expired_offer_cannot_be_accepted(clock, teachers, student):
    question = fresh(ask(student))
    clock.advance(seconds=31)
    with pytest.raises(matching.OfferGone):
        matching.offer_accept(actor=teachers[0], question=question)
    # Accepting read the state lazily: the offer went on to the next teacher.
    assert fresh(question).offered_to == teachers[1].teacher


def test_the_offer_seconds_are_a_setting(clock, teachers, student):
    from eschool.tutoring.selectors import tutoring_settings

    row = tutoring_settings()
    row.offer_seconds = 45
    row.save()
    question = fresh(ask(student))
    assert question.offer_expires_at - timeutil.now() == dt.timedelta(seconds=45)


def test_accepting_starts_a_session_and_the_teacher_is_busy(clock, teachers, student, school_a):
    question = fresh(ask(student))
    clock.advance(seconds=10)
    session = matching.offer_accept(actor=teachers[0], question=question)
    assert (session.teacher, session.student, session.question) == (
        teachers[0].teacher,
        student,
        question,
    )
    question = fresh(question)
    assert question.status == "in_session"
    assert question.matched_at - question.waiting_since == dt.timedelta(seconds=10)
    # A second asker goes to 乙: 甲 has reached their limit of one session.
    other = fresh(ask(make_asker("00200", "李四", school=school_a)))
    assert other.offered_to == teachers[1].teacher


def test_only_qualified_online_teachers_are_offered(clock, school_a, student):
    chinese = make_teacher("T2001", "语文老师", school=school_a, subjects=("语文",))
    on_duty(chinese, subjects=("语文",), online_at=shanghai(MONDAY, "19:30"))
    senior = make_teacher("T2002", "高中老师", school=school_a)
    shift = on_duty(senior, online_at=shanghai(MONDAY, "19:30"))
    from eschool.tutoring.models import GradeBand

    Shift.objects.filter(pk=shift.pk).update(band=GradeBand.objects.get(name="高中"))
    offline = make_teacher("T2003", "未上线", school=school_a)
    on_duty(offline)  # signed up, not clocked in
    question = fresh(ask(student))
    assert (question.status, question.offered_to) == ("waiting", None)


def test_a_teacher_never_holds_two_offers(clock, teachers, student, school_a):
    first = fresh(ask(student))
    assert first.offered_to == teachers[0].teacher
    # The database refuses a second offer to the same teacher, whatever Python thought.
    second = ask(make_asker("00201", "李四", school=school_a))
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=second.pk).update(
            status="offered",
            offered_to=teachers[0].teacher,
            offer_expires_at=timeutil.now(),
        )
    # The dispatcher gave it to the next free teacher instead.
    assert fresh(second).offered_to == teachers[1].teacher


def test_the_session_limit_can_be_two(clock, school_a, student):
    busy = make_teacher("T3001", "两位老师", school=school_a)
    on_duty(busy, online_at=shanghai(MONDAY, "19:30"), limit=2)
    first = fresh(ask(student))
    matching.offer_accept(actor=busy, question=first)
    second = fresh(ask(make_asker("00202", "李四", school=school_a)))
    matching.offer_accept(actor=busy, question=second)
    third = fresh(ask(make_asker("00203", "王六", school=school_a)))
    assert third.status == "waiting"
    assert TutoringSession.objects.filter(teacher=busy.teacher, ended_at=None).count() == 2


def test_a_teacher_takes_a_question_from_the_waiting_list(clock, school_a, student, teachers):
    # Everybody busy or offered: the fourth question waits.
    askers = [student] + [make_asker(f"0030{n}", f"学生{n}", school=school_a) for n in range(3)]
    questions = [fresh(ask(user)) for user in askers]
    assert [q.status for q in questions] == ["offered", "offered", "offered", "waiting"]
    # 丙 prefers the waiting one: takes it, and their own offer goes back to the list.
    session = matching.question_take(actor=teachers[2], question=questions[3])
    assert session.question == questions[3]
    assert fresh(questions[2]).status == "waiting"
    assert (
        Offer.objects.get(question=questions[2], teacher=teachers[2].teacher).outcome == "withdrawn"
    )


def test_taking_an_offered_question_is_refused(clock, teachers, student):
    question = fresh(ask(student))
    with pytest.raises(matching.OfferGone):
        matching.question_take(actor=teachers[1], question=question)


def test_going_offline_gives_the_offer_to_the_next(clock, teachers, student):
    question = fresh(ask(student))
    shift_clock_out(actor=teachers[0], shift=Shift.objects.get(teacher=teachers[0].teacher))
    assert fresh(question).offered_to == teachers[1].teacher


def test_ending_a_session_frees_the_teacher_and_asks_for_a_rating(clock, teachers, student):
    question = fresh(ask(student))
    session = matching.offer_accept(actor=teachers[0], question=question)
    clock.advance(minutes=12)
    ended = matching.session_end(actor=student, session=session)
    assert ended.ended_at == timeutil.now()
    assert ended.minutes == 12
    assert fresh(question).status == "closed"
    assert Shift.objects.get(teacher=teachers[0].teacher).idle_since == timeutil.now()
    assert Notification.objects.filter(user=student, key=f"tutoring:rate:{session.pk}").exists()
    # Ending twice changes nothing.
    clock.advance(minutes=1)
    assert matching.session_end(actor=teachers[0], session=session).ended_at == ended.ended_at


def test_a_stranger_cannot_end_a_session(clock, teachers, student, stranger):
    from django.core.exceptions import PermissionDenied

    session = matching.offer_accept(actor=teachers[0], question=fresh(ask(student)))
    with pytest.raises(PermissionDenied):
        matching.session_end(actor=stranger, session=session)
    assert TutoringSession.objects.get(pk=session.pk).ended_at is None


def test_rating_once_from_1_to_5(clock, teachers, student):
    session = matching.offer_accept(actor=teachers[0], question=fresh(ask(student)))
    with pytest.raises(ValidationError):
        matching.session_rate(actor=student, session=session, rating=5)
    matching.session_end(actor=student, session=session)
    session.refresh_from_db()
    with pytest.raises(ValidationError):
        matching.session_rate(actor=student, session=session, rating=6)
    rated = matching.session_rate(actor=student, session=session, rating=4, comment="讲得清楚")
    assert (rated.rating, rated.comment) == (4, "讲得清楚")
    with pytest.raises(ValidationError):
        matching.session_rate(actor=student, session=session, rating=1)
    assert TutoringSession.objects.get(pk=session.pk).rating == 4


def test_a_transfer_moves_the_question_to_the_new_teacher(clock, teachers, student):
    question = fresh(ask(student))
    session = matching.offer_accept(actor=teachers[0], question=question)
    # 乙 holds no offer (no other question); 乙 is free.
    new = matching.session_transfer(
        actor=teachers[0], session=session, to_teacher=teachers[1].teacher
    )
    session.refresh_from_db()
    assert session.ended_at is not None and session.question is None
    assert (new.question, new.teacher, new.transferred_from) == (
        question,
        teachers[1].teacher,
        session,
    )
    from eschool.tutoring.selectors import session_question

    assert session_question(session) == question


def test_dispatch_offers_in_order_of_waiting(clock, school_a, student):
    askers = [student] + [make_asker(f"0040{n}", f"学生{n}", school=school_a) for n in range(2)]
    questions = []
    for user in askers:
        questions.append(ask(user))
        clock.advance(seconds=5)
    late = make_teacher("T4001", "晚到", school=school_a)
    on_duty(late, online_at=timeutil.now())
    matching.dispatch()
    assert [fresh(q).status for q in questions] == ["offered", "waiting", "waiting"]


def queries_of_dispatch(waiting: int, school) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(waiting):
        ask(make_asker(f"05{waiting:02d}{number:03d}", f"学生{number}", school=school))
    shift = Shift.objects.get(teacher__user__username="T9000")
    Question.objects.filter(status="offered").update(
        status="waiting", offered_to=None, offer_expires_at=None
    )
    Offer.objects.all().delete()
    Shift.objects.filter(pk=shift.pk).update(clocked_in_at=timeutil.now())
    with CaptureQueriesContext(connection) as captured:
        assert matching.dispatch() == 1
    Shift.objects.filter(pk=shift.pk).update(clocked_in_at=None)
    Question.objects.all().delete()
    return len(captured)


def test_dispatching_costs_the_same_whatever_the_length_of_the_queue(clock, school_a):
    teacher = make_teacher("T9000", "唯一", school=school_a)
    shift = on_duty(teacher)
    assert shift.clocked_in_at is None
    assert queries_of_dispatch(3, school_a) == queries_of_dispatch(60, school_a)


def test_a_declined_question_comes_back_to_the_teacher_after_five_minutes(clock, school_a, student):
    alone = make_teacher("T9200", "唯一", school=school_a)
    on_duty(alone, online_at=shanghai(MONDAY, "19:30"))
    question = fresh(ask(student))
    matching.offer_decline(actor=alone, question=question)
    assert fresh(question).status == "waiting"
    clock.advance(minutes=4, seconds=59)
    assert matching.dispatch() == 0
    clock.advance(seconds=1)
    assert matching.dispatch() == 1
    assert fresh(question).offered_to == alone.teacher
