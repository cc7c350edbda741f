"""Reads about the organisation that more than one caller needs: who manages what, exports."""

from django.db.models import QuerySet

from eschool.accounts.models import Guardianship, Role, Student, Teacher
from eschool.org.importing.export import SCHOOL_HEADERS, STUDENT_HEADERS, TEACHER_HEADERS
from eschool.org.models import School
from eschool.org.reference import STAGE_NAMES

EXPORT_KINDS = ("schools", "teachers", "students")
_STAGE_LABELS = {}
for _name, _stage in STAGE_NAMES.items():
    _STAGE_LABELS.setdefault(_stage, _name)


def can_manage_people(user) -> bool:
    """District administrators, and school administrators who have a school."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.DISTRICT_ADMIN:
        return True
    return user.role == Role.SCHOOL_ADMIN and user.school_id is not None


def import_kinds_for(*, user) -> list[str]:
    """The kinds of file `user` may import, in the order the page offers them."""
    if not can_manage_people(user):
        return []
    if user.role == Role.DISTRICT_ADMIN:
        return ["schools", "teachers", "students", "timetable"]
    return ["teachers", "students"]


def export_kinds_for(*, user) -> list[str]:
    return list(EXPORT_KINDS) if can_manage_people(user) else []


def schools_for(*, user) -> QuerySet[School]:
    schools = School.objects.select_related("region")
    if user.role == Role.SCHOOL_ADMIN:
        return schools.filter(pk=user.school_id)
    return schools


def export_rows(*, user, kind: str) -> tuple[list[str], list[list]]:
    """The headers and rows of a list as `user` may see it: a school administrator, their school.

    A fixed number of queries whatever the number of rows.
    """
    school_id = user.school_id if user.role == Role.SCHOOL_ADMIN else None
    if kind == "schools":
        rows = [
            [school.code, school.name, _STAGE_LABELS.get(school.stage, ""), school.region.name]
            for school in schools_for(user=user).order_by("code")
        ]
        return SCHOOL_HEADERS, rows
    if kind == "teachers":
        return TEACHER_HEADERS, _teacher_rows(school_id)
    if kind == "students":
        return STUDENT_HEADERS, _student_rows(school_id)
    raise ValueError(kind)


def _teacher_rows(school_id: int | None) -> list[list]:
    teachers = Teacher.objects.all()
    if school_id is not None:
        teachers = teachers.filter(school_id=school_id)
    subjects, grades = {}, {}
    subject_links = Teacher.subjects.through.objects.filter(teacher__in=teachers).order_by(
        "subject__position", "subject__name"
    )
    for teacher_id, name in subject_links.values_list("teacher_id", "subject__name"):
        subjects.setdefault(teacher_id, []).append(name)
    grade_links = Teacher.grades.through.objects.filter(teacher__in=teachers).order_by(
        "grade__level"
    )
    for teacher_id, name in grade_links.values_list("teacher_id", "grade__name"):
        grades.setdefault(teacher_id, []).append(name)
    rows = []
    for item in teachers.order_by("school__code", "user__username").values(
        "user_id", "user__username", "user__name", "school__code", "user__phone", "hire_date"
    ):
        rows.append(
            [
                item["user__username"],
                item["user__name"],
                item["school__code"],
                "、".join(subjects.get(item["user_id"], [])),
                "、".join(grades.get(item["user_id"], [])),
                item["user__phone"] or "",
                item["hire_date"],
            ]
        )
    return rows


def _student_rows(school_id: int | None) -> list[list]:
    students = Student.objects.all()
    if school_id is not None:
        students = students.filter(school_id=school_id)
    # The first guardian linked (parents before anyone else) is the one the list shows.
    parents = {}
    links = Guardianship.objects.filter(student__in=students).order_by("id")
    for student_id, role, name, phone in links.values_list(
        "student_id", "guardian__role", "guardian__name", "guardian__phone"
    ):
        current = parents.get(student_id)
        if not phone:
            continue  # without a number the row could not be imported again
        if current is None or (current[0] != Role.PARENT and role == Role.PARENT):
            parents[student_id] = (role, name, phone)
    gender = {"M": "男", "F": "女"}
    rows = []
    for item in students.order_by("school__code", "grade__level", "homeroom__number", "user__username").values(
        "user_id", "user__username", "user__name", "gender", "birth_date", "school__code",
        "grade__name", "homeroom__number",
    ):  # fmt: skip
        parent = parents.get(item["user_id"], (None, "", ""))
        rows.append(
            [
                item["user__username"],
                item["user__name"],
                gender.get(item["gender"], ""),
                item["birth_date"],
                item["school__code"],
                item["grade__name"],
                item["homeroom__number"] or "",
                parent[1],
                parent[2],
            ]
        )
    return rows
