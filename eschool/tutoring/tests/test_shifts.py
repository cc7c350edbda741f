"""Shifts: sign-up, coverage, swaps, clocking in and out, late and missing teachers, records."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from eschool.homeschool.models import Notification
from eschool.org.models import Grade, Subject
from eschool.tutoring.models import Question, Shift, SwapRequest, TutoringSession
from eschool.tutoring.selectors import (
    coverage,
    grade_bands,
    live_board,
    percentile,
    teacher_record,
    tutoring_settings,
)
from eschool.tutoring.services import asking, matching, shifts

from .conftest import MONDAY, SUNDAY, TUESDAY, make_teacher, maths, on_duty, shanghai

pytestmark = pytest.mark.django_db


def band():
    return grade_bands().get(name="初中")


def test_a_teacher_signs_up_for_an_evening(clock, teacher):
    shift = shifts.shift_sign_up(actor=teacher, day=TUESDAY, subjects=[maths()], band=band())
    assert (shift.teacher, shift.day, list(shift.subjects.all()), shift.session_limit) == (
        teacher.teacher,
        TUESDAY,
        [maths()],
        1,
    )


@pytest.mark.parametrize(
    ("day", "subject", "field"),
    [
        (dt.date(2026, 12, 6), "数学", "day"),  # yesterday
        (SUNDAY, "数学", "day"),  # no service on Sundays
        (TUESDAY, "物理", "subjects"),  # not a subject the teacher teaches
    ],
)
def test_sign_up_refusals(clock, teacher, day, subject, field):
    with pytest.raises(ValidationError) as refused:
        shifts.shift_sign_up(
            actor=teacher, day=day, subjects=Subject.objects.filter(name=subject), band=band()
        )
    assert field in refused.value.message_dict
    assert Shift.objects.count() == 0


def test_one_shift_per_teacher_per_evening(clock, teacher):
    shifts.shift_sign_up(actor=teacher, day=TUESDAY, subjects=[maths()], band=band())
    with pytest.raises(ValidationError):
        shifts.shift_sign_up(actor=teacher, day=TUESDAY, subjects=[maths()], band=band())
    assert Shift.objects.count() == 1


def test_students_cannot_sign_up(clock, student):
    with pytest.raises(PermissionDenied):
        shifts.shift_sign_up(actor=student, day=TUESDAY, subjects=[maths()], band=band())


def test_coverage_counts_teachers_per_subject_and_grade_band_and_marks_thin_evenings(
    clock, school_a
):
    for number in range(2):
        on_duty(make_teacher(f"T700{number}", f"数学{number}", school=school_a), day=TUESDAY)
    on_duty(
        make_teacher("T7010", "语文", school=school_a, subjects=("语文",)),
        day=TUESDAY,
        subjects=("语文",),
    )
    senior = on_duty(make_teacher("T7020", "高中数学", school=school_a), day=TUESDAY)
    Shift.objects.filter(pk=senior.pk).update(band=grade_bands().get(name="高中"))
    # Students asked in English (初中) lately, and in maths for 小学高段: demand without teachers.
    for subject, level in (("英语", 8), ("数学", 5)):
        Question.objects.create(
            asker=make_teacher(f"A{level}", "问", school=school_a),
            subject=Subject.objects.get(name=subject),
            grade=Grade.objects.get(level=level),
            text="?",
            status="closed",
            created_at=shanghai(MONDAY, "19:00"),
        )
    grid = coverage([TUESDAY])
    cells = {(cell.subject.name, cell.band.name): cell for cell in grid[TUESDAY]}
    # Only what has a teacher or demand, not every subject × band.
    assert set(cells) == {
        ("数学", "初中"),
        ("数学", "高中"),
        ("数学", "小学高段"),
        ("语文", "初中"),
        ("英语", "初中"),
    }
    assert (cells["英语", "初中"].asked, cells["数学", "初中"].asked) == (1, 0)
    assert (cells["数学", "初中"].count, cells["数学", "初中"].thin) == (2, False)
    assert cells["数学", "初中"].teachers == ["数学0", "数学1"]
    # The senior-high teacher covers 高中 only: 小学 maths is thin however many teach maths.
    assert (cells["数学", "高中"].count, cells["数学", "高中"].thin) == (1, True)
    assert (cells["数学", "小学高段"].count, cells["数学", "小学高段"].thin) == (0, True)
    assert (cells["语文", "初中"].count, cells["语文", "初中"].thin) == (1, True)
    assert (cells["英语", "初中"].count, cells["英语", "初中"].thin) == (0, True)


def test_coverage_shows_only_the_bands_the_district_serves(clock, district_admin, school_a):
    shifts.settings_update(actor=district_admin, bands=list(grade_bands().filter(low__gte=7)))
    for number, name in enumerate(("初中", "高中", "小学高段")):
        shift = on_duty(make_teacher(f"T700{number}", "数学", school=school_a), day=TUESDAY)
        Shift.objects.filter(pk=shift.pk).update(band=grade_bands(served_only=False).get(name=name))
    bands = {cell.band.name for cell in coverage([TUESDAY])[TUESDAY]}
    assert bands == {"初中", "高中"}


def test_a_swap_is_approved_with_a_substitute(clock, teacher, school_a, district_admin):
    shift = shifts.shift_sign_up(actor=teacher, day=TUESDAY, subjects=[maths()], band=band())
    colleague = make_teacher("T7100", "代班老师", school=school_a)
    swap = shifts.swap_request(
        actor=teacher, shift=shift, reason="出差", proposed=colleague.teacher
    )
    assert Notification.objects.filter(user=district_admin, key=f"tutoring:swap:{swap.pk}")
    with pytest.raises(PermissionDenied):
        shifts.swap_decide(actor=teacher, swap=swap, approve=True)
    shifts.swap_decide(actor=district_admin, swap=swap, approve=True)
    shift.refresh_from_db()
    assert shift.teacher == colleague.teacher
    assert SwapRequest.objects.get(pk=swap.pk).status == "approved"
    assert Notification.objects.filter(user=colleague, key=f"tutoring:swap:{swap.pk}:substitute")
    with pytest.raises(ValidationError):
        shifts.swap_decide(actor=district_admin, swap=swap, approve=False)


def test_a_substitute_already_on_duty_is_refused(clock, teacher, school_a, district_admin):
    shift = shifts.shift_sign_up(actor=teacher, day=TUESDAY, subjects=[maths()], band=band())
    busy = make_teacher("T7101", "忙", school=school_a)
    on_duty(busy, day=TUESDAY)
    swap = shifts.swap_request(actor=teacher, shift=shift)
    with pytest.raises(ValidationError):
        shifts.swap_decide(actor=district_admin, swap=swap, approve=True, substitute=busy.teacher)
    assert Shift.objects.get(pk=shift.pk).teacher == teacher.teacher


def test_a_substitute_must_teach_the_shifts_subjects_and_grade_band(
    clock, teacher, school_a, district_admin
):
    shift = shifts.shift_sign_up(actor=teacher, day=TUESDAY, subjects=[maths()], band=band())
    chemist = make_teacher("T7102", "郝远紫", school=school_a, subjects=("化学",)).teacher
    senior = make_teacher("T7103", "高中数学", school=school_a).teacher
    senior.grades.set(Grade.objects.filter(level=10))
    junior = make_teacher("T7104", "初中数学", school=school_a).teacher
    junior.grades.set(Grade.objects.filter(level__in=[7, 8]))
    with pytest.raises(ValidationError) as refused:
        shifts.swap_request(actor=teacher, shift=shift, proposed=chemist)
    assert "proposed" in refused.value.message_dict
    swap = shifts.swap_request(actor=teacher, shift=shift)
    for unqualified in (chemist, senior):
        with pytest.raises(ValidationError) as refused:
            shifts.swap_decide(
                actor=district_admin, swap=swap, approve=True, substitute=unqualified
            )
        assert "substitute" in refused.value.message_dict
    assert Shift.objects.get(pk=shift.pk).teacher == teacher.teacher
    assert SwapRequest.objects.get(pk=swap.pk).status == "pending"
    shifts.swap_decide(actor=district_admin, swap=swap, approve=True, substitute=junior)
    assert Shift.objects.get(pk=shift.pk).teacher == junior


def test_clock_in_records_lateness_and_clock_out_adds_duty_minutes(clock, school_a):
    user = make_teacher("T7200", "迟到", school=school_a)
    shift = on_duty(user)
    clock.at("19:10")
    with pytest.raises(ValidationError):
        shifts.shift_clock_in(actor=user, shift=shift)
    clock.at("19:42")
    shift = shifts.shift_clock_in(actor=user, shift=shift)
    assert (shift.late_minutes, shift.is_online) == (12, True)
    clock.at("20:42")
    shift = shifts.shift_clock_out(actor=user, shift=shift)
    assert (shift.duty_minutes, shift.is_online) == (60, False)
    clock.at("21:00")
    shift = shifts.shift_clock_in(actor=user, shift=shift)
    assert shift.late_minutes == 12  # only the first time counts
    clock.at("21:20")
    assert shifts.shift_clock_out(actor=user, shift=shift).duty_minutes == 80


def test_on_time_is_not_late(clock, school_a):
    user = make_teacher("T7201", "准时", school=school_a)
    shift = on_duty(user)
    clock.at("19:34")
    assert shifts.shift_clock_in(actor=user, shift=shift).late_minutes == 0


def test_no_clock_out_during_a_session(clock, teachers, student):
    question = asking.question_ask(
        asker=student, subject=maths(), grade=Grade.objects.get(level=7), text="?"
    )
    matching.offer_accept(actor=teachers[0], question=question)
    with pytest.raises(ValidationError):
        shifts.shift_clock_out(
            actor=teachers[0], shift=Shift.objects.get(teacher__user=teachers[0])
        )


def test_late_and_missing_teachers_are_flagged_to_the_admin(clock, school_a, district_admin):
    absent = make_teacher("T7300", "缺席", school=school_a)
    on_duty(absent)
    present = make_teacher("T7301", "在岗", school=school_a)
    on_duty(present, online_at=shanghai(MONDAY, "19:30"))
    clock.at("19:34")
    assert shifts.shifts_check()["late"] == 0
    clock.at("19:36")
    assert shifts.shifts_check()["late"] == 1
    assert shifts.shifts_check()["late"] == 0  # once
    clock.at("21:31")
    result = shifts.shifts_check()
    assert (result["missing"], result["clocked_out"]) == (1, 1)
    keys = set(Notification.objects.filter(user=district_admin).values_list("key", flat=True))
    shift_id = Shift.objects.get(teacher__user=absent).pk
    assert {f"tutoring:late:shift:{shift_id}", f"tutoring:missing:shift:{shift_id}"} <= keys
    # The present teacher was clocked out at the end of the window: 120 minutes.
    assert Shift.objects.get(teacher__user=present).duty_minutes == 120


def test_a_teachers_record(clock, student, school_a):
    from .conftest import make_asker

    alone = make_teacher("T7400", "甲老师", school=school_a)
    on_duty(alone, online_at=shanghai(MONDAY, "19:31"))
    teachers = [alone]

    for number, rating in enumerate((5, 4)):
        asker = student if number == 0 else make_asker("00950", "钱七", school=school_a)
        question = asking.question_ask(
            asker=asker, subject=maths(), grade=Grade.objects.get(level=7), text="?"
        )
        session = matching.offer_accept(actor=teachers[0], question=question)
        clock.advance(minutes=15)
        matching.session_end(actor=teachers[0], session=session)
        session.refresh_from_db()
        matching.session_rate(actor=asker, session=session, rating=rating)
    clock.at("21:30")
    shifts.shifts_check()
    record = teacher_record(teachers[0].teacher)
    assert (record.sessions, record.tutoring_minutes) == (2, 30)
    assert (record.rating_average, record.rating_count) == (4.5, 2)
    assert (record.shifts, record.duty_minutes) == (1, 119)  # online 19:31–21:30


def test_a_record_counts_shifts_served_tonights_time_online_and_short_sessions(
    clock, student, school_a
):
    user = make_teacher("T7401", "记录", school=school_a)
    tonight = on_duty(user, online_at=shanghai(MONDAY, "19:30"))
    on_duty(user, day=TUESDAY)  # signed up, not served yet
    on_duty(user, day=MONDAY - dt.timedelta(days=1))  # never went online: not served
    question = asking.question_ask(
        asker=student, subject=maths(), grade=Grade.objects.get(level=7), text="?"
    )
    session = matching.offer_accept(actor=user, question=question)
    clock.advance(seconds=90)
    matching.session_end(actor=user, session=session)
    clock.at("19:59")
    record = teacher_record(user.teacher)
    assert (record.shifts, record.upcoming) == (1, 1)
    # Online since 19:30 and still online: 29 minutes so far, not 0 until going offline.
    assert record.duty_minutes == 29
    assert Shift.objects.get(pk=tonight.pk).duty_minutes == 0
    # A 1½-minute session is 2 minutes to the nearest minute, not 0.
    assert record.tutoring_minutes == 2
    assert TutoringSession.objects.get(pk=session.pk).minutes == 2
    shifts.shift_clock_out(actor=user, shift=tonight)
    assert teacher_record(user.teacher).duty_minutes == 29


def test_live_board_states_and_wait_percentiles(clock, teachers, student, school_a):
    from .conftest import make_asker

    question = asking.question_ask(
        asker=student, subject=maths(), grade=Grade.objects.get(level=7), text="?"
    )
    clock.advance(seconds=20)
    matching.offer_accept(actor=teachers[0], question=question)
    other = asking.question_ask(
        asker=make_asker("00960", "孙八", school=school_a),
        subject=maths(),
        grade=Grade.objects.get(level=7),
        text="?",
    )
    board = live_board()
    states = {row.shift.teacher.user.name: row.state for row in board["teachers"]}
    assert states == {"甲老师": "in_session", "乙老师": "offered", "丙老师": "idle"}
    assert board["median_wait"] == dt.timedelta(seconds=20)
    assert board["p90_wait"] == dt.timedelta(seconds=20)
    assert [q.pk for q in board["waiting_by_subject"][maths()]] == [other.pk]
    assert board["sessions"].count() == 1


def test_percentile_is_nearest_rank():
    values = list(range(1, 11))
    assert percentile(values, 0.9) == 9
    assert percentile(values, 0.5) == 5
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([], 0.9) is None


def test_settings_are_changed_by_admins_only(clock, district_admin, teacher):
    with pytest.raises(PermissionDenied):
        shifts.settings_update(actor=teacher, offer_seconds=10)
    with pytest.raises(ValidationError), translation.override("en"):
        shifts.settings_update(
            actor=district_admin, window_start=dt.time(21), window_end=dt.time(20)
        )
    shifts.settings_update(actor=district_admin, offer_seconds=20)
    assert tutoring_settings().offer_seconds == 20
    assert TutoringSession.objects.count() == 0
