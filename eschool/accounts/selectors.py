"""Reads about people, and the access rules: one helper per kind of object.

Every view that shows a person, a child, a homeroom or a school goes through
these. Something the user may not see is a 404, never a 403, so that guessing
ids in URLs tells nothing about what exists.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from eschool.accounts.models import Guardianship, OutsideLearner, Role, Student, Teacher, User
from eschool.accounts.passwords import initial_password
from eschool.org.models import Homeroom, School

PEOPLE_PAGE_SIZE = 50


def _guardians_of_school(school) -> QuerySet:
    return Guardianship.objects.filter(student__school=school).values("guardian_id")


def people_visible_to(user) -> QuerySet[User]:
    """The users whose data `user` may see.

    District admin: everyone. School admin: the people of their school and the
    parents of their school's students. Teacher: themselves and the learners
    booked (or waitlisted) on a session they teach, as on their rosters. Parent:
    themselves and their children. Everyone else (students, outside learners):
    themselves.
    """
    people = User.objects.all()
    if not user.is_authenticated:
        return people.none()
    if user.role == Role.DISTRICT_ADMIN:
        return people
    if user.role == Role.SCHOOL_ADMIN and user.school_id:
        return people.filter(
            Q(school_id=user.school_id) | Q(pk__in=_guardians_of_school(user.school_id))
        )
    if user.role == Role.PARENT:
        children = Guardianship.objects.filter(guardian=user).values("student_id")
        return people.filter(Q(pk=user.pk) | Q(pk__in=children))
    if user.role == Role.TEACHER:
        # Imported here: the classroom app reads accounts, not the other way at import time.
        from eschool.classroom.selectors import learners_booked_with

        return people.filter(Q(pk=user.pk) | Q(pk__in=learners_booked_with(user)))
    return people.filter(pk=user.pk)


def people_resettable_by(actor) -> QuerySet[User]:
    """The users whose password `actor` may reset.

    A district admin: anyone. A school admin: their school's students and
    teachers, and the parents of their school's students.
    """
    people = User.objects.all()
    if not actor.is_authenticated:
        return people.none()
    if actor.role == Role.DISTRICT_ADMIN:
        return people
    if actor.role == Role.SCHOOL_ADMIN and actor.school_id:
        return people.filter(
            Q(role__in=[Role.STUDENT, Role.TEACHER], school_id=actor.school_id)
            | Q(role=Role.PARENT, pk__in=_guardians_of_school(actor.school_id))
        )
    return people.none()


def user_may_reset_password(*, actor, user) -> bool:
    return people_resettable_by(actor).filter(pk=user.pk).exists()


def person_get_for_reset(*, actor, user_id) -> User:
    try:
        return people_resettable_by(actor).select_related("school").get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _students() -> QuerySet[Student]:
    return Student.objects.select_related("user", "school", "grade", "homeroom__grade")


def student_get_for_user(*, user, student_id) -> Student:
    """The student with this id if `user` may see them, else Http404."""
    try:
        return _students().get(pk=student_id, user__in=people_visible_to(user))
    except (Student.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def children_of(parent) -> QuerySet[Student]:
    return _students().filter(guardianships__guardian=parent).order_by("user__name", "pk")


def child_get_for_parent(*, parent, student_id) -> Student:
    """The parent's own child with this id, else Http404 (another family's child included)."""
    try:
        return children_of(parent).get(pk=student_id)
    except (Student.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def schools_administered_by(user) -> QuerySet[School]:
    schools = School.objects.select_related("region")
    if not user.is_authenticated:
        return schools.none()
    if user.role == Role.DISTRICT_ADMIN:
        return schools
    if user.role == Role.SCHOOL_ADMIN and user.school_id:
        return schools.filter(pk=user.school_id)
    return schools.none()


def school_get_for_admin(*, user, school_id) -> School:
    try:
        return schools_administered_by(user).get(pk=school_id)
    except (School.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def homeroom_get_for_admin(*, user, homeroom_id) -> Homeroom:
    """The homeroom if `user` administers its school (or the district), else Http404."""
    homerooms = Homeroom.objects.select_related("school", "grade")
    try:
        return homerooms.get(pk=homeroom_id, school__in=schools_administered_by(user))
    except (Homeroom.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def homerooms_of_school(*, school) -> QuerySet[Homeroom]:
    return (
        Homeroom.objects.filter(school=school)
        .select_related("grade")
        .order_by("grade__level", "number")
    )


def school_people_page(*, school, query: str = "", page=1) -> Page:
    """The school's students and teachers, 50 a page, searched by name or number."""
    people = (
        User.objects.filter(school=school, role__in=[Role.STUDENT, Role.TEACHER])
        .select_related("student__grade", "student__homeroom__grade")
        .order_by("role", "username")
    )
    query = query.strip()
    if query:
        people = people.filter(Q(name__icontains=query) | Q(username__icontains=query))
    return Paginator(people, PEOPLE_PAGE_SIZE).get_page(page)


@dataclass(frozen=True)
class ParentLine:
    user_id: int
    name: str
    phone: str
    initial_password: str | None
    # A teacher (or administrator) who is also the child's parent: their password
    # opens a staff account, so it is never on a sheet that goes home with a child.
    staff: bool = False


# Accounts whose initial password is printed on a staff sheet, never a homeroom's.
STAFF_ROLES = frozenset({Role.TEACHER, Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN})


@dataclass(frozen=True)
class SheetLine:
    user_id: int
    name: str
    username: str
    initial_password: str | None
    parents: list[ParentLine]


def homeroom_password_sheet(*, homeroom) -> list[SheetLine]:
    """One line per student of the homeroom, by number, with their parents.

    An initial password is given only to someone still on it; once a person has
    chosen their own, the sheet shows None for them. A guardian who is staff (a
    teacher who is also a parent) is listed with `staff` and no password.
    """
    guardianships = Guardianship.objects.select_related("guardian").order_by("guardian__username")
    students = (
        Student.objects.filter(homeroom=homeroom)
        .select_related("user")
        .prefetch_related(Prefetch("guardianships", queryset=guardianships))
        .order_by("user__username")
    )
    lines = []
    for student in students:
        parents = [
            ParentLine(
                user_id=g.guardian_id,
                name=g.guardian.name,
                phone=g.guardian.phone or g.guardian.username,
                initial_password=(
                    None if g.guardian.role in STAFF_ROLES else _printable_password(g.guardian)
                ),
                staff=g.guardian.role in STAFF_ROLES,
            )
            for g in student.guardianships.all()
        ]
        lines.append(
            SheetLine(
                user_id=student.user_id,
                name=student.user.name,
                username=student.user.username,
                initial_password=_printable_password(student.user),
                parents=parents,
            )
        )
    return lines


@dataclass(frozen=True)
class TeacherLine:
    user_id: int
    name: str
    username: str
    initial_password: str | None


def school_teacher_password_sheet(*, school) -> list[TeacherLine]:
    """One line per teacher of the school, by staff number.

    The same rule as the homeroom sheet: an initial password only for someone
    still on it, None once they have chosen their own.
    """
    teachers = User.objects.filter(school=school, role=Role.TEACHER).order_by("username")
    return [
        TeacherLine(
            user_id=teacher.pk,
            name=teacher.name,
            username=teacher.username,
            initial_password=_printable_password(teacher),
        )
        for teacher in teachers
    ]


def _printable_password(user) -> str | None:
    return initial_password(user) if user.must_change_password else None


def teacher_profile_of(user) -> Teacher | None:
    return (
        Teacher.objects.select_related("school")
        .prefetch_related("subjects", "grades")
        .filter(user=user)
        .first()
    )


def outside_learner_of(user) -> OutsideLearner | None:
    return OutsideLearner.objects.select_related("region", "grade").filter(user=user).first()
