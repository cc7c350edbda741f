"""The timetable case of ../shared/cases/README.md and the timetable import rules."""

import datetime as dt

import pytest
from django.utils import translation

from eschool.accounts.models import User
from eschool.classroom.models import Session
from eschool.org.importing import RowError, import_file
from eschool.org.models import School
from eschool.org.tests.conftest import case_path, csv_bytes

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def teachers(db):
    for name in ("schools_gbk.csv", "teachers.xlsx"):
        assert import_file(case_path(name)).committed


def sessions():
    return {
        s.title: s
        for s in Session.objects.select_related("teacher__user", "subject").prefetch_related(
            "grades"
        )
    }


def test_the_timetable_case(teachers):
    result = import_file(case_path("timetable.xlsx"))

    assert result.kind == "timetable"
    assert result.counts == {"sessions": {"new": 5, "changed": 0, "unchanged": 0}}
    found = sessions()
    assert len(found) == 5
    spring = found["《春》朗读与赏析"]
    assert spring.starts_at == dt.datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    assert spring.ends_at == dt.datetime(2026, 12, 7, 0, 40, tzinfo=UTC)
    assert spring.day == dt.date(2026, 12, 7)
    assert (spring.kind, spring.stage, spring.subject.name) == ("class", "junior", "语文")
    assert spring.teacher.user.username == "T0001"
    assert [g.name for g in spring.grades.all()] == ["七年级"]
    lecture = found["中考专题：二次函数综合"]
    assert lecture.kind == "lecture"
    assert lecture.starts_at == dt.datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    parenting = found["亲子游戏：纸杯叠叠乐"]
    assert (parenting.kind, parenting.stage, parenting.subject) == (
        "parenting",
        "kindergarten",
        None,
    )
    assert [g.name for g in parenting.grades.all()] == ["幼儿园大班"]
    assert {s.day for s in found.values()} == {dt.date(2026, 12, 7)}


def test_reimporting_the_timetable_changes_nothing(teachers):
    import_file(case_path("timetable.xlsx"))

    again = import_file(case_path("timetable.xlsx"))

    assert again.counts == {"sessions": {"new": 0, "changed": 0, "unchanged": 5}}
    assert Session.objects.count() == 5


HEADER = [
    "日期",
    "开始时间",
    "结束时间",
    "学段",
    "年级",
    "学科",
    "课题",
    "授课教师工号",
    "类型",
    "简介",
]


def test_text_dates_several_grades_and_a_corrected_title(teachers):
    row = [
        "2026/12/8",
        "19:00",
        "20:00",
        "初中",
        "七年级、八年级",
        "数学",
        "专题一",
        "T0001",
        "讲坛",
        "说明",
    ]
    import_file(csv_bytes([HEADER, row]), filename="t.csv")
    corrected = row[:6] + ["专题一（修订）"] + row[7:]

    result = import_file(csv_bytes([HEADER, corrected]), filename="t.csv")

    assert result.counts == {"sessions": {"new": 0, "changed": 1, "unchanged": 0}}
    session = Session.objects.get()
    assert session.title == "专题一（修订）"
    assert session.starts_at == dt.datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    assert session.description == "说明"
    assert sorted(g.level for g in session.grades.all()) == [7, 8]


def test_a_session_without_teacher_is_found_again_by_title_and_start(teachers):
    row = ["2026-12-09", "8:00", "9:00", "小学", "一年级", "", "开学典礼", "", "活动", ""]
    import_file(csv_bytes([HEADER, row]), filename="t.csv")

    again = import_file(csv_bytes([HEADER, row]), filename="t.csv")

    assert again.counts == {"sessions": {"new": 0, "changed": 0, "unchanged": 1}}
    assert Session.objects.get().kind == "event"


def test_bad_timetable_rows_import_nothing(teachers):
    rows = [
        HEADER,
        ["2026-12-09", "9:00", "8:00", "初中", "七年级", "语文", "倒序", "T0001", "课堂", ""],
        ["2026-12-09", "10:00", "11:00", "初中", "七年级", "", "无学科", "T0001", "课堂", ""],
        ["2026-12-09", "12:00", "13:00", "初中", "七年级", "语文", "未知", "T9999", "直播", ""],
    ]

    result = import_file(csv_bytes(rows), filename="t.csv")

    assert result.errors == [
        RowError(2, "结束时间", "8:00", "The session ends before it starts."),
        RowError(3, "学科", "", "A class needs a subject."),
        RowError(4, "类型", "直播", "The kind is one of 课堂, 讲坛, 育儿 or 活动."),
        RowError(4, "授课教师工号", "T9999", "No teacher has the staff number T9999."),
    ]
    assert Session.objects.count() == 0


def test_only_the_district_imports_the_timetable(teachers, district_admin):
    school_admin = User.objects.create_user(
        "SA9", name="学校管理员", role="school_admin", school=School.objects.get(code="320106001")
    )

    assert import_file(case_path("timetable.xlsx"), actor=school_admin).committed is False
    assert import_file(case_path("timetable.xlsx"), actor=district_admin).committed is True
