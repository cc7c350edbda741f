"""Many teachers press at once: the database, not Python, gives each question to one teacher.

Each thread has its own database connection and waits on a barrier, so the
presses reach the database together (as in classroom's booking concurrency
tests). Runs on SQLite (a WAL file with IMMEDIATE transactions) and on
PostgreSQL when DATABASE_URL is set.
"""

import threading

import pytest
from django.db import connections
from django.utils import translation

from eschool.org.models import Grade
from eschool.tutoring.models import Offer, Question, TutoringSession
from eschool.tutoring.services import asking, matching

from .conftest import MONDAY, make_asker, make_teacher, maths, on_duty, shanghai

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TEACHERS = 12


def run_together(count: int, action) -> tuple[list, list[Exception]]:
    barrier = threading.Barrier(count)
    results: list = []
    raised: list[Exception] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):
                outcome = action(number)
            with lock:
                results.append(outcome)
        except Exception as error:  # noqa: BLE001 - reported to the test, which asserts on it
            with lock:
                raised.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, raised


@pytest.fixture
def many_teachers(clock, school_a):
    users = []
    for number in range(TEACHERS):
        user = make_teacher(f"T5{number:03d}", f"老师{number}", school=school_a)
        on_duty(user, online_at=shanghai(MONDAY, "19:30"))
        users.append(user)
    return users


def waiting_question(asker) -> Question:
    question = asking.question_ask(
        asker=asker, subject=maths(), grade=Grade.objects.get(level=7), text="求解"
    )
    question.refresh_from_db()
    return question


def test_many_teachers_taking_one_question_give_one_session(many_teachers, student):
    # Nobody free to be offered it: the question stays on the waiting list.
    from eschool.tutoring.models import Shift

    Shift.objects.update(clocked_in_at=None)
    question = waiting_question(student)
    assert question.status == "waiting"
    Shift.objects.update(clocked_in_at=shanghai(MONDAY, "19:30"))

    results, raised = run_together(
        TEACHERS,
        lambda n: matching.question_take(actor=many_teachers[n], question=question).pk,
    )

    assert len(results) == 1
    assert len(raised) == TEACHERS - 1
    assert all(isinstance(error, matching.OfferGone) for error in raised)
    session = TutoringSession.objects.get(question=question)
    assert session.pk == results[0]
    assert TutoringSession.objects.count() == 1
    assert Question.objects.get(pk=question.pk).status == "in_session"


def test_accept_and_takes_at_once_still_one_winner(many_teachers, student):
    question = waiting_question(student)
    offered_to = question.offered_to.user
    assert offered_to == many_teachers[0]

    def press(n):
        if n == 0:
            return matching.offer_accept(actor=offered_to, question=question).pk
        return matching.question_take(actor=many_teachers[n], question=question).pk

    results, raised = run_together(TEACHERS, press)

    # The offered teacher wins: the others may only take a question that is waiting.
    assert len(results) == 1
    assert TutoringSession.objects.get().teacher.user == offered_to
    assert len(raised) == TEACHERS - 1


def test_one_teacher_double_clicking_take_on_two_questions_gets_one(many_teachers, school_a):
    from eschool.tutoring.models import Shift

    Shift.objects.update(clocked_in_at=None)
    questions = [
        waiting_question(make_asker(f"0600{n}", f"学生{n}", school=school_a)) for n in range(6)
    ]
    Shift.objects.update(clocked_in_at=shanghai(MONDAY, "19:30"))
    teacher = many_teachers[0]

    results, raised = run_together(
        len(questions),
        lambda n: matching.question_take(actor=teacher, question=questions[n]).pk,
    )

    # Their limit is one session: the shift row queues their presses.
    assert len(results) == 1
    assert TutoringSession.objects.filter(teacher=teacher.teacher).count() == 1
    assert len(raised) == len(questions) - 1


def test_dispatching_from_many_places_never_gives_a_teacher_two_offers(many_teachers, school_a):
    from eschool.tutoring.models import Shift

    Shift.objects.update(clocked_in_at=None)
    for n in range(30):
        waiting_question(make_asker(f"0700{n:02d}", f"学生{n}", school=school_a))
    Shift.objects.update(clocked_in_at=shanghai(MONDAY, "19:30"))

    results, raised = run_together(8, lambda n: matching.dispatch())

    assert raised == []
    assert sum(results) == TEACHERS
    offered = Question.objects.filter(status="offered")
    assert offered.count() == TEACHERS
    assert offered.values("offered_to").distinct().count() == TEACHERS
    assert Offer.objects.filter(outcome="pending").count() == TEACHERS
