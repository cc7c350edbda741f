"""All or nothing, re-import, corrections, duplicates and the school administrator's scope."""

import datetime as dt

import pytest

from eschool.accounts.models import Guardianship, Role, Student, Teacher, User
from eschool.org.importing import RowError, import_file
from eschool.org.models import Homeroom, School

from .conftest import STUDENT_HEADER, case_path, csv_bytes

ROW_A = ["00123", "张三", "男", "2012/9/1", "320106001", "七年级", "3", "张建国", "13800138000"]
ROW_B = ["00124", "李小红", "女", "2012-10-05", "320106001", "初一", "3", "李明", "13900139001"]


def students(*rows):
    return csv_bytes([STUDENT_HEADER, *rows])


def test_one_bad_row_among_good_ones_writes_nothing(schools_loaded):
    bad = ["00125", "王五", "男", "2012-13-40", "320106001", "七年级", "3", "王大伟", "1.38001E+10"]

    result = import_file(students(ROW_A, ROW_B, bad), filename="s.csv")

    assert result.committed is False
    assert result.errors == [
        RowError(4, "出生日期", "2012-13-40", "This is not a date; write it like 2012-09-01."),
        RowError(
            4,
            "家长手机",
            "1.38001E+10",
            "The spreadsheet shows this number in scientific notation and has lost digits; "
            "format the column as text.",
        ),
    ]
    assert result.counts == {}
    assert User.objects.filter(role__in=[Role.STUDENT, Role.PARENT]).count() == 0
    assert Student.objects.count() == 0
    assert Homeroom.objects.count() == 0
    assert Guardianship.objects.count() == 0


def test_dry_run_counts_but_writes_nothing(schools_loaded):
    result = import_file(students(ROW_A, ROW_B), filename="s.csv", commit=False)

    assert result.ok and result.committed is False
    assert result.counts["students"] == {"new": 2, "changed": 0, "unchanged": 0}
    assert result.counts["homerooms"] == {"new": 1, "changed": 0, "unchanged": 0}
    assert Student.objects.count() == 0


def test_a_corrected_file_updates_people_instead_of_duplicating(schools_loaded):
    import_file(students(ROW_A, ROW_B), filename="s.csv")
    corrected_a = [
        "00123",
        "张 三丰",
        "男",
        "2012/9/2",
        "320106001",
        "初一",
        "4",
        "张建国",
        "13800138000",
    ]

    result = import_file(students(corrected_a, ROW_B), filename="s.csv")

    assert result.counts["students"] == {"new": 0, "changed": 1, "unchanged": 1}
    assert result.counts["homerooms"]["new"] == 1
    student = Student.objects.select_related("user", "homeroom").get(user__username="00123")
    assert (student.user.name, student.birth_date, student.homeroom.number) == (
        "张三丰",
        dt.date(2012, 9, 2),
        4,
    )
    assert Student.objects.count() == 2
    assert User.objects.filter(role=Role.PARENT).count() == 2


def test_a_corrected_parent_number_moves_the_same_parent(schools_loaded):
    import_file(students(ROW_A), filename="s.csv")
    parent = User.objects.get(username="13800138000")
    corrected = ROW_A[:8] + ["13800138999"]

    result = import_file(students(corrected), filename="s.csv")

    assert result.counts["parents"] == {"new": 0, "changed": 1, "unchanged": 0}
    assert result.counts["guardianships"] == {"new": 0, "changed": 0, "unchanged": 1}
    parent.refresh_from_db()
    assert (parent.username, parent.phone, parent.name) == ("13800138999", "13800138999", "张建国")
    assert User.objects.filter(role=Role.PARENT).count() == 1


def test_siblings_sharing_a_phone_share_one_parent_account(schools_loaded):
    sibling = ["00130", "张四", "女", "", "320106001", "七年级", "3", "张建国", "138 0013 8000"]

    result = import_file(students(ROW_A, sibling), filename="s.csv")

    assert result.counts["parents"] == {"new": 1, "changed": 0, "unchanged": 0}
    parent = User.objects.get(phone="13800138000")
    assert sorted(parent.guardianships.values_list("student__user__username", flat=True)) == [
        "00123",
        "00130",
    ]


def test_one_phone_given_to_two_different_parent_names_is_an_error(schools_loaded):
    other = ["00130", "张四", "女", "", "320106001", "七年级", "3", "李梅", "13800138000"]

    result = import_file(students(ROW_A, other), filename="s.csv")

    assert result.errors == [
        RowError(3, "家长姓名", "李梅", "Row 2 gives this mobile number to 张建国.")
    ]


def test_the_same_student_number_twice_is_an_error(schools_loaded):
    twice = ["00123", "张三", "男", "", "320106001", "七年级", "3", "", ""]

    result = import_file(students(ROW_A, ROW_B, twice), filename="s.csv")

    assert result.errors == [
        RowError(4, "学号", "00123", "This appears twice in the file (first in row 2).")
    ]
    assert Student.objects.count() == 0


def test_an_unknown_school_and_grade_are_errors(schools_loaded):
    row = ["00123", "张三", "男", "", "999999", "十三年级", "3", "", ""]

    result = import_file(students(row), filename="s.csv")

    assert result.errors == [
        RowError(2, "学校代码", "999999", "No school has the code 999999."),
        RowError(2, "年级", "十三年级", "This is not a grade; write it like 七年级 or 初一."),
    ]


def test_a_missing_required_column_is_named(schools_loaded):
    data = csv_bytes([["学号", "姓名", "学校代码"], ["00123", "张三", "320106001"]])

    result = import_file(data, filename="s.csv")

    assert result.kind == "students"
    assert result.errors == [RowError(1, "年级", "", "The column 年级 is missing.")]


def test_headers_match_in_any_order_and_with_variants(schools_loaded):
    data = csv_bytes(
        [
            ["联系电话", "班号", "学生姓名", "学籍号", "年级", "学校编码 ", "监护人"],
            ["13800138000", "3班", "张三", "00123", "初一", "320106001", "张建国"],
        ]
    )

    result = import_file(data, filename="s.csv")

    assert result.counts["students"]["new"] == 1
    student = Student.objects.select_related("user", "homeroom").get()
    assert (
        student.user.username,
        student.user.name,
        student.grade.level,
        student.homeroom.number,
    ) == (
        "00123",
        "张三",
        7,
        3,
    )
    assert student.guardianships.get().guardian.name == "张建国"


def test_an_unknown_kind_of_file_is_refused(db):
    result = import_file(csv_bytes([["甲", "乙"], ["1", "2"]]), filename="x.csv")

    assert result.kind is None
    assert result.errors[0].row == 1
    assert result.errors[0].message.startswith("The kind of list cannot be told")


def test_a_number_used_by_a_teacher_cannot_become_a_student(teachers_loaded):
    row = ["T0001", "张三", "男", "", "320106001", "七年级", "3", "", ""]

    result = import_file(students(row), filename="s.csv")

    assert result.errors == [
        RowError(2, "学号", "T0001", "This number belongs to an account that is not a student.")
    ]


def test_a_teacher_phone_owned_by_another_account_is_an_error(teachers_loaded):
    data = csv_bytes(
        [["工号", "姓名", "学校代码", "手机"], ["T0009", "新老师", "320106001", "13900139000"]]
    )

    result = import_file(data, filename="t.csv")

    assert result.errors == [
        RowError(
            2,
            "手机",
            "13900139000",
            "The mobile number 13900139000 is already the login of 陈老师 (Teacher T0001), "
            "which does not match the teacher's name 新老师. If the two really share this "
            "number, leave the teacher's mobile number empty: a teacher also logs in with "
            "the staff number.",
        )
    ]
    assert Teacher.objects.count() == 3


def test_a_corrected_teacher_file_updates_subjects_and_grades(teachers_loaded):
    data = csv_bytes(
        [
            ["工号", "姓名", "学校代码", "任教学科", "任教年级", "手机", "入职日期"],
            ["T0001", "陈老师", "320106001", "道法", "初三", "13900139000", "2010年9月1日"],
        ]
    )

    result = import_file(data, filename="t.csv")

    assert result.counts["teachers"] == {"new": 0, "changed": 1, "unchanged": 0}
    teacher = Teacher.objects.get(user__username="T0001")
    assert [s.name for s in teacher.subjects.all()] == ["道德与法治"]
    assert [g.level for g in teacher.grades.all()] == [9]


# The school administrator's scope ---------------------------------------------------
def test_a_school_admin_imports_their_own_school(school_admin, school_b):
    result = import_file(students(ROW_A), filename="s.csv", actor=school_admin)

    assert result.committed
    assert Student.objects.get().school == school_admin.school


def test_a_school_admin_cannot_import_another_schools_rows(school_admin, school_b):
    other = ["01126", "王五", "男", "", "320106002", "八年级", "1", "", ""]

    result = import_file(students(ROW_A, other), filename="s.csv", actor=school_admin)

    assert result.errors == [
        RowError(
            3,
            "学校代码",
            "320106002",
            "This row is for 南京市鼓楼区实验初级中学; you may import only the people of your own "
            "school (南京市鼓楼区示范初级中学). Remove the row, or ask the district administrator "
            "to import the file.",
        )
    ]
    assert Student.objects.count() == 0


def test_a_school_admin_cannot_take_over_another_schools_student(school_admin, stranger):
    # 01126 is a student of school B; the file claims them for school A.
    row = ["01126", "王五", "男", "", "320106001", "八年级", "1", "", ""]

    result = import_file(students(row), filename="s.csv", actor=school_admin)

    assert result.errors == [
        RowError(2, "学号", "01126", "This student belongs to another school.")
    ]
    stranger.student.refresh_from_db()
    assert stranger.student.school.code == "320106002"


@pytest.mark.parametrize("name", ["schools_gbk.csv", "timetable.xlsx"])
def test_a_school_admin_may_not_import_schools_or_the_timetable(school_admin, name):
    before = School.objects.count()

    result = import_file(case_path(name), actor=school_admin)

    assert result.committed is False
    assert result.errors[0].row is None
    assert result.errors[0].message.endswith("which you may not import here.")
    assert School.objects.count() == before


def test_a_teacher_may_import_nothing(teacher):
    result = import_file(students(ROW_A), filename="s.csv", actor=teacher)

    assert result.committed is False
    assert Student.objects.count() == 0


def test_a_parent_number_of_another_user_links_that_user(teacher):
    # 13900139000 is the persona teacher's number.
    row = ROW_A[:7] + ["陈老师", "13900139000"]

    result = import_file(students(row), filename="s.csv")

    assert result.counts["parents"] == {"new": 0, "changed": 0, "unchanged": 1}
    assert Guardianship.objects.get().guardian == teacher


def test_a_file_with_headers_only_is_refused_with_a_message(schools_loaded):
    header = "学号,姓名,性别,出生日期,学校代码,年级,班级,家长姓名,家长手机\r\n"

    result = import_file(header.encode("utf-8-sig"), filename="empty.csv")

    assert not result.committed
    assert [e.message for e in result.errors] == [
        "The file has a header row but no rows of data under it."
    ]
