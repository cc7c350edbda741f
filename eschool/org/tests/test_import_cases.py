"""Every case of ../shared/cases/README.md, with the values given there."""

import datetime as dt
import io

import openpyxl

from eschool.accounts.models import Guardianship, Role, Student, Teacher, User
from eschool.org.importing import RowError, import_file
from eschool.org.models import Homeroom, Region, School

from .conftest import case_path


def test_schools_gbk_csv_gives_four_home_schools_and_one_partner_school(db):
    result = import_file(case_path("schools_gbk.csv"))

    assert result.kind == "schools"
    assert result.committed
    assert result.counts["schools"] == {"new": 5, "changed": 0, "unchanged": 0}
    home = Region.objects.get(kind=Region.Kind.HOME)
    assert home.name == "鼓楼区"
    assert list(School.objects.filter(region=home).values_list("code", flat=True)) == [
        "320106001",
        "320106002",
        "320106101",
        "320106201",
    ]
    partner = School.objects.get(code="420200301")
    assert partner.name == "黄石市示范初级中学"
    assert partner.stage == "junior"
    assert (partner.region.name, partner.region.kind) == ("黄石市", "partner")
    assert School.objects.get(code="320106201").stage == "kindergarten"
    assert School.objects.get(code="320106101").stage == "primary"


def _students_as_stored():
    rows = []
    for student in Student.objects.select_related("user", "grade", "homeroom", "school").order_by(
        "user__username"
    ):
        parents = [
            (link.guardian.name, link.guardian.phone, link.guardian.role)
            for link in student.guardianships.select_related("guardian")
        ]
        rows.append(
            (
                student.user.username,
                student.user.name,
                student.gender,
                student.birth_date,
                student.school.code,
                student.grade.level,
                student.homeroom.number,
                parents,
            )
        )
    return rows


EXPECTED_STUDENTS = [
    ("00123", "张三", "M", dt.date(2012, 9, 1), "320106001", 7, 3, [("张建国", "13800138000", "parent")]),
    ("00124", "李小红", "F", dt.date(2012, 10, 5), "320106001", 7, 3, [("李明", "13900139001", "parent")]),
    ("00125", "阿依古丽·买买提", "F", dt.date(2012, 3, 15), "320106001", 7, 4, [("买买提·艾力", "13700137002", "parent")]),
    ("01126", "王五", "M", dt.date(2012, 7, 8), "320106002", 8, 1, [("王大伟", "13600136003", "parent")]),
    ("01127", "赵六", "M", dt.date(2011, 12, 31), "320106002", 8, 1, [("赵强", "13500135004", "parent")]),
]  # fmt: skip


def test_students_gbk_csv_is_cleaned_as_the_office_meant(schools_loaded):
    result = import_file(case_path("students_gbk.csv"))

    assert result.ok, result.errors
    assert result.counts["students"] == {"new": 5, "changed": 0, "unchanged": 0}
    assert result.counts["parents"] == {"new": 5, "changed": 0, "unchanged": 0}
    assert result.counts["guardianships"] == {"new": 5, "changed": 0, "unchanged": 0}
    assert _students_as_stored() == EXPECTED_STUDENTS
    # 七年级 and 初一 are one grade: 00123 and 00124 share 七年级3班.
    assert Homeroom.objects.count() == 3
    parent = User.objects.get(username="13900139001")
    assert (parent.phone, parent.role, parent.name) == ("13900139001", Role.PARENT, "李明")


def test_imported_accounts_must_change_an_initial_password(schools_loaded):
    import_file(case_path("students_gbk.csv"))

    for user in User.objects.filter(role__in=[Role.STUDENT, Role.PARENT]):
        assert user.must_change_password is True
        assert len(user.initial_password_nonce) == 16
        assert user.has_usable_password() is False


def test_students_utf8_bom_csv_gives_the_same_result_and_reimports_unchanged(schools_loaded):
    first = import_file(case_path("students_gbk.csv"))
    assert first.committed

    again = import_file(case_path("students_utf8_bom.csv"))

    assert again.committed
    assert again.counts["students"] == {"new": 0, "changed": 0, "unchanged": 5}
    assert again.counts["parents"] == {"new": 0, "changed": 0, "unchanged": 5}
    assert again.counts["guardianships"] == {"new": 0, "changed": 0, "unchanged": 5}
    assert _students_as_stored() == EXPECTED_STUDENTS
    assert User.objects.filter(role=Role.STUDENT).count() == 5
    assert User.objects.filter(role=Role.PARENT).count() == 5
    assert Guardianship.objects.count() == 5


def test_students_utf8_bom_csv_alone_matches_the_gbk_result(schools_loaded):
    result = import_file(case_path("students_utf8_bom.csv"))

    assert result.counts["students"]["new"] == 5
    assert _students_as_stored() == EXPECTED_STUDENTS


def test_students_missing_name_imports_nothing_and_names_row_4(schools_loaded):
    result = import_file(case_path("students_missing_name.csv"))

    assert result.ok is False
    assert result.committed is False
    assert result.errors == [RowError(4, "姓名", "", "The name is missing.")]
    assert Student.objects.count() == 0
    assert User.objects.filter(role__in=[Role.STUDENT, Role.PARENT]).count() == 0
    assert Homeroom.objects.count() == 0


def test_teachers_xlsx_numbers_and_dates_come_back_as_meant(schools_loaded):
    result = import_file(case_path("teachers.xlsx"))

    assert result.kind == "teachers"
    assert result.counts["teachers"] == {"new": 3, "changed": 0, "unchanged": 0}
    teachers = {
        t.user.username: t
        for t in Teacher.objects.select_related("user", "school").prefetch_related(
            "subjects", "grades"
        )
    }
    assert sorted(teachers) == ["T0001", "T0002", "T0003"]
    assert [teachers[n].user.phone for n in sorted(teachers)] == [
        "13900139000",
        "13900139001",
        "13900139002",
    ]
    assert [teachers[n].school.code for n in sorted(teachers)] == [
        "320106001",
        "320106001",
        "320106002",
    ]
    assert [teachers[n].hire_date for n in sorted(teachers)] == [
        dt.date(2010, 9, 1),
        dt.date(2015, 8, 20),
        dt.date(2018, 9, 1),
    ]
    assert sorted(s.name for s in teachers["T0001"].subjects.all()) == ["数学", "语文"]
    assert sorted(g.level for g in teachers["T0001"].grades.all()) == [7, 8]
    assert sorted(s.name for s in teachers["T0003"].subjects.all()) == ["化学", "物理"]
    assert sorted(g.level for g in teachers["T0003"].grades.all()) == [8, 9]
    assert teachers["T0001"].user.role == Role.TEACHER
    assert teachers["T0001"].user.school.code == "320106001"


def test_teachers_xlsx_reimported_changes_nothing(teachers_loaded):
    result = import_file(case_path("teachers.xlsx"))

    assert result.counts["teachers"] == {"new": 0, "changed": 0, "unchanged": 3}
    assert Teacher.objects.count() == 3


def test_a_parent_phone_that_is_a_teachers_with_another_name_is_a_row_error(teachers_loaded):
    # Schools, then teachers.xlsx, then students_gbk.csv: 李小红's parent 李明 is given
    # 13900139001, which is 刘芳's (T0002) login. Linking her would make the teacher the
    # child's guardian and print a teacher's password as 李明's.
    result = import_file(case_path("students_gbk.csv"))

    assert result.committed is False
    assert result.errors == [
        RowError(
            3,
            "家长手机",
            "13900139001",
            "The mobile number 13900139001 is already the login of 刘芳 (Teacher T0002), "
            "which does not match the parent's name 李明. If the two really share this number, "
            "remove it from the teacher's row of the teachers' file and import that again: "
            "a teacher also logs in with the staff number.",
        )
    ]
    assert Student.objects.count() == 0
    assert Guardianship.objects.count() == 0
    assert not User.objects.filter(name="李明").exists()
    liu = User.objects.get(phone="13900139001")
    assert (liu.username, liu.name, liu.role) == ("T0002", "刘芳", Role.TEACHER)


def test_a_teacher_phone_that_is_a_parents_with_another_name_is_a_row_error(schools_loaded):
    # The other order: students_gbk.csv made the parent account 李明 with 13900139001;
    # teachers.xlsx gives that number to T0002 刘芳. The parent account is not hers to take.
    assert import_file(case_path("students_gbk.csv")).committed
    parent = User.objects.get(phone="13900139001")

    result = import_file(case_path("teachers.xlsx"))

    assert result.committed is False
    assert result.errors == [
        RowError(
            3,
            "手机",
            "13900139001",
            "The mobile number 13900139001 is already the login of 李明 (Parent 13900139001), "
            "which does not match the teacher's name 刘芳. If the two really share this "
            "number, leave the teacher's mobile number empty: a teacher also logs in with "
            "the staff number.",
        )
    ]
    assert Teacher.objects.count() == 0
    parent.refresh_from_db()
    assert (parent.username, parent.name, parent.role) == ("13900139001", "李明", Role.PARENT)
    assert list(
        Guardianship.objects.filter(guardian=parent).values_list("student__user__name", flat=True)
    ) == ["李小红"]


def test_the_teachers_file_without_the_shared_number_imports_and_so_does_the_timetable(
    schools_loaded,
):
    # Following the report's advice after students_gbk.csv: 刘芳's mobile number left empty
    # (李明's family shares it), the teachers import, and the timetable that names them.
    assert import_file(case_path("students_gbk.csv")).committed
    book = openpyxl.load_workbook(case_path("teachers.xlsx"))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[headers.index("工号")].value == "T0002")
    row[headers.index("手机")].value = None
    data = io.BytesIO()
    book.save(data)

    result = import_file(data.getvalue(), filename="teachers.xlsx")

    assert result.committed, result.errors
    assert result.counts["teachers"] == {"new": 3, "changed": 0, "unchanged": 0}
    liu = User.objects.get(username="T0002")
    assert (liu.name, liu.phone) == ("刘芳", None)
    assert User.objects.get(phone="13900139001").name == "李明"
    timetable = import_file(case_path("timetable.xlsx"))
    assert timetable.committed, timetable.errors
    assert timetable.counts["sessions"]["new"] == 5
