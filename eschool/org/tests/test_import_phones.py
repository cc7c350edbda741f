"""A mobile number is a login: an import links the account holding it only if it is that person."""

from eschool.accounts.models import Guardianship, Role, Student, User
from eschool.accounts.passwords import initial_password
from eschool.org.importing import RowError, import_file

from .conftest import STUDENT_HEADER, case_path, csv_bytes

ROW_A = ["00123", "张三", "男", "2012/9/1", "320106001", "七年级", "3", "张建国", "13800138000"]
# 13900139001 is T0002 刘芳's number in teachers.xlsx.
LIU_AS_PARENT = [
    "00124",
    "李小红",
    "女",
    "2012-10-05",
    "320106001",
    "初一",
    "3",
    "刘芳",
    "13900139001",
]
TEACHER_HEADER = ["工号", "姓名", "学校代码", "手机"]


def students(*rows):
    return csv_bytes([STUDENT_HEADER, *rows])


def teachers(*rows):
    return csv_bytes([TEACHER_HEADER, *rows])


def children_of(user):
    return sorted(
        Guardianship.objects.filter(guardian=user).values_list("student__user__username", flat=True)
    )


# A teacher who is also a parent (same phone, same name) -----------------------------
def test_a_teacher_of_the_same_name_is_linked_as_the_parent(teachers_loaded):
    result = import_file(students(ROW_A, LIU_AS_PARENT), filename="s.csv")

    assert result.errors == []
    assert result.counts["parents"] == {"new": 1, "changed": 0, "unchanged": 1}
    liu = User.objects.get(username="T0002")
    assert (liu.name, liu.role) == ("刘芳", Role.TEACHER)
    assert children_of(liu) == ["00124"]
    assert User.objects.filter(phone="13900139001").count() == 1

    again = import_file(students(ROW_A, LIU_AS_PARENT), filename="s.csv")

    assert again.counts["parents"] == {"new": 0, "changed": 0, "unchanged": 2}
    assert again.counts["guardianships"] == {"new": 0, "changed": 0, "unchanged": 2}


def test_a_parent_of_the_same_name_becomes_the_teacher_with_a_new_printed_password(
    schools_loaded,
):
    assert import_file(students(ROW_A, LIU_AS_PARENT), filename="s.csv").committed
    parent = User.objects.get(phone="13900139001")
    printed_for_the_parent = initial_password(parent)

    result = import_file(case_path("teachers.xlsx"))

    assert result.errors == []
    liu = User.objects.get(username="T0002")
    assert (liu.pk, liu.name, liu.role, liu.phone) == (parent.pk, "刘芳", "teacher", "13900139001")
    assert children_of(liu) == ["00124"]
    # The parent's sheet went home with a child: its password does not open a teacher's account.
    assert liu.must_change_password is True
    assert initial_password(liu) not in (None, printed_for_the_parent)
    assert import_file(case_path("teachers.xlsx")).counts["teachers"]["unchanged"] == 3


# Other people's numbers ----------------------------------------------------------------
def test_a_parents_number_of_another_name_is_not_given_to_a_new_child(schools_loaded):
    assert import_file(students(ROW_A), filename="s.csv").committed
    other_family = ["00130", "王小明", "男", "", "320106001", "七年级", "3", "王强", "13800138000"]

    result = import_file(students(other_family), filename="s.csv")

    assert result.errors == [
        RowError(
            2,
            "家长手机",
            "13800138000",
            "The mobile number 13800138000 is already the login of 张建国 (Parent 13800138000), "
            "which does not match the parent's name 王强.",
        )
    ]
    assert Student.objects.count() == 1
    assert User.objects.get(phone="13800138000").name == "张建国"


def test_a_corrected_parent_name_still_renames_the_childs_own_parent(schools_loaded):
    assert import_file(students(ROW_A), filename="s.csv").committed
    corrected = ROW_A[:7] + ["张建军", "13800138000"]

    result = import_file(students(corrected), filename="s.csv")

    assert result.errors == []
    assert result.counts["parents"] == {"new": 0, "changed": 1, "unchanged": 0}
    parent = User.objects.get(phone="13800138000")
    assert (parent.name, children_of(parent)) == ("张建军", ["00123"])


def test_a_teachers_number_without_a_parent_name_is_not_linked(teachers_loaded):
    row = LIU_AS_PARENT[:7] + ["", "13900139001"]

    result = import_file(students(row), filename="s.csv")

    assert result.errors == [
        RowError(
            2,
            "家长手机",
            "13900139001",
            "The mobile number 13900139001 is already the login of 刘芳 (Teacher T0002); "
            "write the parent's name if this is the child's parent.",
        )
    ]
    assert Guardianship.objects.count() == 0


def test_every_row_with_the_clashing_number_is_reported_under_the_files_header(
    teachers_loaded,
):
    header = STUDENT_HEADER[:7] + ["监护人", "监护人手机"]
    brother = ["00131", "李小龙", "男", "", "320106001", "七年级", "3", "李明", "13900139001"]
    sister = ["00124", "李小红", "女", "", "320106001", "七年级", "3", "李明", "13900139001"]

    result = import_file(csv_bytes([header, sister, brother]), filename="s.csv")

    message = (
        "The mobile number 13900139001 is already the login of 刘芳 (Teacher T0002), "
        "which does not match the parent's name 李明. If the two really share this number, "
        "remove it from the teacher's row of the teachers' file and import that again: "
        "a teacher also logs in with the staff number."
    )
    assert result.errors == [
        RowError(2, "监护人手机", "13900139001", message),
        RowError(3, "监护人手机", "13900139001", message),
    ]


def test_two_parent_names_for_one_number_in_one_file_are_an_error(schools_loaded):
    other = ["00130", "张四", "女", "", "320106001", "七年级", "3", "李梅", "13800138000"]

    result = import_file(students(ROW_A, other), filename="s.csv")

    assert result.errors == [
        RowError(3, "家长姓名", "李梅", "Row 2 gives this mobile number to 张建国.")
    ]
    assert User.objects.count() == 0


def test_a_students_own_number_is_not_a_parents(student):
    User.objects.filter(pk=student.pk).update(phone="13800138111")
    row = ["00130", "张四", "女", "", "320106001", "七年级", "3", "张建国", "13800138111"]

    result = import_file(students(row), filename="s.csv")

    assert result.errors == [
        RowError(2, "家长手机", "13800138111", "This mobile number is a student's login number.")
    ]
    assert not Guardianship.objects.filter(guardian=student).exists()


# The teachers' file --------------------------------------------------------------------
# test_import_rules.py: a teacher's number of another teacher with another name.
def test_a_second_account_of_the_same_name_is_refused_too(teachers_loaded):
    result = import_file(
        teachers(["T0009", "陈老师", "320106001", "13900139000"]), filename="t.csv"
    )

    assert result.errors == [
        RowError(
            2,
            "手机",
            "13900139000",
            "The mobile number 13900139000 is already the login of 陈老师 (Teacher T0001); "
            "one mobile number logs in to one account only.",
        )
    ]
    assert not User.objects.filter(username="T0009").exists()


def test_a_school_admin_is_not_told_whose_number_of_another_school_it_is(school_admin, stranger):
    # 13600136003 is 王大伟's, the parent of a student of school B.
    row = ["00130", "张四", "女", "", "320106001", "七年级", "3", "张建国", "13600136003"]

    result = import_file(students(row), filename="s.csv", actor=school_admin)

    assert result.errors == [
        RowError(
            2,
            "家长手机",
            "13600136003",
            "The mobile number 13600136003 is already the login of someone outside your "
            "school; check the number, or ask the district administrator.",
        )
    ]
    assert "王大伟" not in result.errors[0].message


def test_a_school_admin_is_told_the_name_of_their_own_schools_parent(school_admin, parent):
    row = ["00130", "张四", "女", "", "320106001", "七年级", "3", "李梅", "13800138000"]

    result = import_file(students(row), filename="s.csv", actor=school_admin)

    assert [e.message for e in result.errors] == [
        "The mobile number 13800138000 is already the login of 张建国 (Parent 13800138000), "
        "which does not match the parent's name 李梅."
    ]
