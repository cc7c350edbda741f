"""A student's grade is one of their school's stage; a session's grades are of its stage."""

import pytest

from eschool.accounts.models import Student
from eschool.classroom.forms import SessionForm
from eschool.classroom.models import Session
from eschool.org.importing import RowError, import_file
from eschool.org.models import Grade

from .conftest import STUDENT_HEADER, case_path, csv_bytes

# 320106002 is 南京市鼓楼区实验初级中学, a junior school (初中).
JUNIOR = "南京市鼓楼区实验初级中学 (Junior high school)"
TIMETABLE_HEADER = ["日期", "开始时间", "结束时间", "学段", "年级", "学科", "课题", "授课教师工号"]


def student_in(grade):
    return ["01126", "王五", "男", "", "320106002", grade, "1", "王大伟", "13600136003"]


@pytest.mark.parametrize(
    ("written", "grade"),
    [
        ("小班", "Kindergarten (junior class)"),
        ("五年级", "Grade 5"),
        ("高一", "Senior 1"),
        # 十年级 is 高一 in twelve-year numbering: a grade, of the senior stage.
        ("十年级", "Senior 1"),
    ],
)
def test_a_grade_of_another_stage_is_a_row_error(schools_loaded, written, grade):
    result = import_file(csv_bytes([STUDENT_HEADER, student_in(written)]), filename="s.csv")

    assert result.errors == [RowError(2, "年级", written, f"{grade} is not a grade of {JUNIOR}.")]
    assert Student.objects.count() == 0


def test_ten_nian_ji_is_the_name_some_schools_give_gao_yi(schools_loaded):
    # 十年级 is 高一 in twelve-year numbering, so a senior school accepts it.
    senior = csv_bytes([["学校代码", "学校名称", "学段"], ["320106301", "鼓楼高级中学", "高中"]])
    assert import_file(senior, filename="schools.csv").committed
    row = ["03001", "钱七", "男", "", "320106301", "十年级", "1", "", ""]

    result = import_file(csv_bytes([STUDENT_HEADER, row]), filename="s.csv")

    assert result.errors == []
    assert Student.objects.get().grade.name == "高一"


def test_grades_of_the_schools_stage_are_accepted(schools_loaded):
    result = import_file(csv_bytes([STUDENT_HEADER, student_in("初二")]), filename="s.csv")

    assert result.committed
    assert Student.objects.get().grade.level == 8


# The timetable ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stage", "grades", "message"),
    [
        ("幼儿园", "七年级", "Not grades of the chosen stage: Grade 7."),
        ("初中", "高一", "Not grades of the chosen stage: Senior 1."),
        ("初中", "七年级、高一、高二", "Not grades of the chosen stage: Senior 1, Senior 2."),
    ],
)
def test_timetable_grades_of_another_stage_are_the_forms_error(
    teachers_loaded, stage, grades, message
):
    row = ["2026-12-09", "8:00", "8:40", stage, grades, "语文", "春", "T0001"]

    result = import_file(csv_bytes([TIMETABLE_HEADER, row]), filename="t.csv")

    assert result.errors == [RowError(2, "年级", grades, message)]
    assert Session.objects.count() == 0
    form = SessionForm(
        data={
            "title": "春",
            "date": "2026-12-09",
            "start": "08:00",
            "end": "08:40",
            "kind": "class",
            "stage": {"幼儿园": "kindergarten", "初中": "junior"}[stage],
            "grades": [g.pk for g in Grade.objects.filter(name__in=grades.split("、"))],
        }
    )
    assert form.errors["grades"] == [message]


def test_the_timetable_case_still_imports(teachers_loaded):
    assert import_file(case_path("timetable.xlsx")).counts["sessions"]["new"] == 5
