"""The course of a session: the end and a transfer offer what waits only after they are
committed, and the end of the evening closes the sessions nobody ended."""

import pytest

from eschool.homeschool.models import Notification
from eschool.org.models import Grade
from eschool.tutoring import room
from eschool.tutoring.models import Question, RoomMessage, Shift, TutoringSession
from eschool.tutoring.selectors import live_board, sessions_open
from eschool.tutoring.services import asking, matching
from eschool.tutoring.tasks import tutoring_tick

from .conftest import MONDAY, TUESDAY, make_asker, make_teacher, maths, on_duty, shanghai

pytestmark = pytest.mark.django_db

Kind = RoomMessage.Kind


def ask(user):
    """A maths question of grade 7, as the database has it after dispatching."""
    question = asking.question_ask(
        asker=user, subject=maths(), grade=Grade.objects.get(level=7), text="这道题怎么做？"
    )
    question.refresh_from_db()
    return question


@pytest.fixture
def evening(clock, school_a, student, teacher):
    """陈老师 online since 19:31, in a session with 张三 since 19:40; 李四's question waits
    (the teacher takes one session at a time). Returns (session, 李四's question)."""
    on_duty(teacher, online_at=shanghai(MONDAY, "19:31"))
    clock.at("19:40")
    question = ask(student)
    assert question.offered_to == teacher.teacher
    session = matching.offer_accept(actor=teacher, question=question)
    clock.at("19:41")
    waiting = ask(make_asker("00200", "李四", school=school_a))
    assert waiting.status == "waiting"
    return session, waiting


def test_ending_offers_what_waits_only_once_the_end_is_committed(
    evening, student, teacher, django_capture_on_commit_callbacks
):
    session, waiting = evening
    with django_capture_on_commit_callbacks() as callbacks:
        room.room_end(actor=student, session=session)
        # Inside the transaction the session has ended and the room says so; nothing is
        # offered while the end could still be rolled back.
        assert TutoringSession.objects.get(pk=session.pk).ended_at == shanghai(MONDAY, "19:41")
        notice = RoomMessage.objects.get(session=session)
        assert (notice.kind, notice.body) == ("system", {"event": "ended", "by": "student"})
        assert Question.objects.get(pk=waiting.pk).status == "waiting"
    # After the commit: first the room's notice goes out, then the dispatch.
    assert callbacks[-1] == matching.dispatch
    assert len(callbacks) == 2
    assert Question.objects.get(pk=waiting.pk).status == "waiting"
    for callback in callbacks:
        callback()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.offered_to) == ("offered", teacher.teacher)


def test_a_transfer_offers_what_waits_to_the_first_teacher_after_commit(
    evening, teacher, school_a, django_capture_on_commit_callbacks
):
    session, waiting = evening
    colleague = make_teacher("T0002", "李老师", school=school_a)
    on_duty(colleague, online_at=shanghai(MONDAY, "19:35"))
    with django_capture_on_commit_callbacks() as callbacks:
        new = room.room_transfer(actor=teacher, session=session, to_teacher=colleague.teacher)
        assert Question.objects.get(pk=waiting.pk).status == "waiting"
    assert callbacks[-1] == matching.dispatch
    for callback in callbacks:
        callback()
    waiting.refresh_from_db()
    # The colleague now has the transferred session; the first teacher is free again.
    assert (waiting.status, waiting.offered_to) == ("offered", teacher.teacher)
    assert new.teacher == colleague.teacher and new.question.asker.username == "00123"
    assert [m.body["event"] for m in RoomMessage.objects.filter(session=new)] == ["continued"]


def test_the_end_of_the_evening_closes_a_session_nobody_ended(evening, clock, student, teacher):
    session, _waiting = evening
    clock.at("20:05")
    room.append_message(session=session, author=student, kind=Kind.TEXT, body={"text": "懂了"})
    clock.at("21:29")
    assert tutoring_tick.call_local()["sessions_closed"] == 0
    clock.at("21:30")
    assert tutoring_tick.call_local() == {
        "opened": 0,
        "offered": 0,
        "written": 1,  # 李四's question, which nobody took
        "sessions_closed": 1,
        "late": 0,
        "missing": 0,
        "clocked_out": 1,
    }
    session.refresh_from_db()
    # Counted to the last thing said (20:05), not to the end of the window.
    assert (session.ended_at, session.ended_by, session.minutes) == (
        shanghai(MONDAY, "20:05"),
        None,
        25,
    )
    notice = RoomMessage.objects.filter(session=session).last()
    assert (notice.kind, notice.body, notice.author) == (
        "system",
        {"event": "ended", "by": "closing"},
        None,
    )
    assert Question.objects.get(session=session).status == "closed"
    assert Notification.objects.filter(user=student, key=f"tutoring:rate:{session.pk}").exists()
    # Closing again (the next tick) changes nothing.
    clock.at("21:31")
    assert tutoring_tick.call_local()["sessions_closed"] == 0
    assert RoomMessage.objects.filter(session=session).count() == 2

    # The next evening the teacher is offered questions again.
    clock.at("19:31", day=TUESDAY)
    on_duty(teacher, day=TUESDAY, online_at=shanghai(TUESDAY, "19:31"))
    clock.at("19:40", day=TUESDAY)
    tomorrow = ask(make_asker("00300", "王六", school=teacher.school))
    assert tomorrow.offered_to == teacher.teacher


def test_a_session_with_nothing_said_counts_no_minutes_and_at_most_to_the_window_end(
    clock, student, teacher
):
    from .test_room_services import make_session

    clock.at("20:00")
    silent = make_session(student, teacher)
    clock.at("21:29")
    talk = make_session(make_asker("00400", "赵七", school=teacher.school), teacher)
    room.append_message(session=talk, author=teacher, kind=Kind.TEXT, body={"text": "在吗"})
    # The tick was down all night: the sessions are closed the next morning.
    clock.at("08:00", day=TUESDAY)
    assert room.sessions_close_after_window() == 2
    silent.refresh_from_db()
    talk.refresh_from_db()
    assert (silent.ended_at, silent.minutes) == (shanghai(MONDAY, "20:00"), 0)
    assert (talk.ended_at, talk.minutes) == (shanghai(MONDAY, "21:29"), 0)


def test_a_session_left_open_on_an_earlier_day_never_blocks_its_teacher(
    clock, school_a, student, teacher
):
    # Monday's session was never closed (say, the background worker was down).
    old = TutoringSession.objects.create(
        teacher=teacher.teacher, student=student, started_at=shanghai(MONDAY, "20:00")
    )
    clock.at("19:45", day=TUESDAY)
    shift = on_duty(teacher, day=TUESDAY, online_at=shanghai(TUESDAY, "19:31"))
    assert not sessions_open().filter(pk=old.pk).exists()
    board = live_board()
    assert [(row.state, row.sessions) for row in board["teachers"]] == [("idle", 0)]
    assert list(board["sessions"]) == []
    question = ask(make_asker("00500", "钱八", school=school_a))
    assert question.offered_to == teacher.teacher
    session = matching.offer_accept(actor=teacher, question=question)
    assert session.teacher == teacher.teacher
    # Going offline is not refused because of Monday's session (only tonight's counts).
    matching.session_end(actor=teacher, session=session)
    clock.at("20:00", day=TUESDAY)
    from eschool.tutoring.services import shifts

    assert shifts.shift_clock_out(actor=teacher, shift=shift).clocked_out_at is not None
    # The open window closes sessions left from before it opened.
    assert room.sessions_close_after_window() == 1
    old.refresh_from_db()
    assert old.ended_at == shanghai(MONDAY, "20:00")
    assert Shift.objects.get(pk=shift.pk).duty_minutes == 29


def test_a_rating_comment_loses_sensitive_words_and_contacts(evening, student, district_admin):
    from eschool.safety.services import word_add

    session, _waiting = evening
    word_add(actor=district_admin, word="垃圾")
    session = room.room_end(actor=student, session=session)
    rated = room.room_rate(
        actor=student, session=session, rating=2, comment="垃圾老师！QQ 12345678 找我"
    )
    assert (rated.rating, rated.comment) == (2, "＊＊老师！QQ ＊＊＊＊＊＊＊＊ 找我")
