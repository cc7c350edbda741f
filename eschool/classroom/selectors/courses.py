"""Reads of courses: course pages, the lecture series, the parenting school, materials.

A course is public once the day of its first session is public (the
timetable's publication rule, eschool.classroom.selectors.day_is_public);
administrators and the teachers of its sessions see it before. Only the
sessions on public days are listed to everyone else.

Materials may be downloaded by district administrators, the teachers of the
course's sessions, learners with a confirmed booking of one of its sessions,
and, once one of its sessions has ended, every learner of that session's
audience (services.booking.audience_filter) and any logged-in person when it
was open to outside learners.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Min, Prefetch, Q, QuerySet

from eschool.classroom.models import Booking, Course, Kind, Material, Session, Speaker
from eschool.classroom.selectors import (
    day_is_public,
    user_manages_timetable,
    user_sees_unpublished,
)
from eschool.classroom.services.booking import audience_filter
from eschool.core import timeutil
from eschool.org.models import Grade

# Preschool age groups of the parenting school (宝爸宝妈学堂): 小班, 中班, 大班.
PRESCHOOL_LEVELS = (-2, -1, 0)
# How far ahead to look for published days (publication makes at most a few
# days ahead public; the loop stops at the first day that is not).
LOOKAHEAD_DAYS = 14


def public_until(at: dt.datetime | None = None) -> dt.date:
    """The last day D such that every day up to D is public at `at`."""
    at = at or timeutil.now()
    day = timeutil.today(at)
    for _step in range(LOOKAHEAD_DAYS):
        following = day + dt.timedelta(days=1)
        if not day_is_public(following, at=at):
            break
        day = following
    return day


def _sessions(queryset: QuerySet[Session]) -> QuerySet[Session]:
    return queryset.select_related("teacher__user", "teacher__school", "subject").prefetch_related(
        Prefetch("grades", queryset=Grade.objects.order_by("level"))
    )


def _courses(queryset: QuerySet[Course]) -> QuerySet[Course]:
    return queryset.select_related("subject").prefetch_related(
        Prefetch("grades", queryset=Grade.objects.order_by("level")),
        Prefetch("speakers", queryset=Speaker.objects.order_by("name", "id")),
    )


def _teaches(user, course: Course) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and Session.objects.filter(course=course, teacher__user=user).exists()
    )


def _sees_everything(user, course: Course) -> bool:
    return user_sees_unpublished(user) or _teaches(user, course)


def course_is_public(course: Course, *, at: dt.datetime | None = None) -> bool:
    first_day = Session.objects.filter(course=course).aggregate(first=Min("day"))["first"]
    return first_day is not None and day_is_public(first_day, at=at)


def course_get_for_user(course_id: int, *, user, at: dt.datetime | None = None) -> Course | None:
    """The course if `user` may see its page at `at`, else None (the caller answers 404)."""
    course = _courses(Course.objects.filter(pk=course_id)).first()
    if course is None:
        return None
    if _sees_everything(user, course) or course_is_public(course, at=at):
        return course
    return None


def course_episodes(course: Course, *, user, at: dt.datetime | None = None) -> list[Session]:
    """The course's sessions by start, cancelled ones too; only public days for the public."""
    sessions = Session.objects.filter(course=course)
    if not _sees_everything(user, course):
        sessions = sessions.filter(day__lte=public_until(at))
    return list(_sessions(sessions).order_by("starts_at", "id"))


def _public_courses(queryset: QuerySet[Course], *, user, at) -> QuerySet[Course]:
    queryset = queryset.annotate(first_day=Min("sessions__day"))
    if user_sees_unpublished(user):
        return queryset
    return queryset.filter(first_day__lte=public_until(at))


def lecture_series(*, user, at: dt.datetime | None = None) -> list[Course]:
    """The lecture series (在线讲坛) `user` may see, newest first.

    Each carries `episodes` (the number of its sessions on days the user may
    see) and `next_start` (the start of its next scheduled episode, or None).
    """
    at = at or timeutil.now()
    visible = Q()
    if not user_sees_unpublished(user):
        visible = Q(sessions__day__lte=public_until(at))
    queryset = _public_courses(Course.objects.filter(kind=Kind.LECTURE), user=user, at=at)
    queryset = queryset.annotate(
        episodes=Count("sessions", filter=visible, distinct=True),
        next_start=Min(
            "sessions__starts_at",
            filter=visible
            & Q(sessions__starts_at__gte=at, sessions__status=Session.Status.SCHEDULED),
        ),
    )
    return list(_courses(queryset).order_by("-created_at", "-id"))


@dataclass
class CourseInGroup:
    course: Course
    upcoming: list[Session]  # the course's upcoming sessions for this age group


@dataclass
class AgeGroup:
    grade: Grade | None  # None: courses for every age group
    courses: list[CourseInGroup] = field(default_factory=list)


def parenting_by_age_group(*, user, at: dt.datetime | None = None) -> list[AgeGroup]:
    """Parenting courses (宝爸宝妈学堂) by age group 小班, 中班, 大班.

    Each course comes with its scheduled sessions from now on (up to the last public day
    for the public), by start. A course for several age groups is listed under each, with
    the sessions for that group (and those for no particular one); a course for none, in a
    last group. Seven queries at most, whatever the number of courses and sessions.
    """
    at = at or timeutil.now()
    upcoming = Session.objects.filter(
        day__gte=timeutil.today(at), status=Session.Status.SCHEDULED
    ).exclude(ends_at__lte=at)
    if not user_sees_unpublished(user):
        upcoming = upcoming.filter(day__lte=public_until(at))
    courses = list(
        _courses(_public_courses(Course.objects.filter(kind=Kind.PARENTING), user=user, at=at))
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=_sessions(upcoming).order_by("starts_at", "id"),
                to_attr="upcoming",
            )
        )
        .order_by("title", "id")
    )
    groups = [
        AgeGroup(grade=grade)
        for grade in Grade.objects.filter(level__in=PRESCHOOL_LEVELS).order_by("level")
    ]
    by_level = {group.grade.level: group for group in groups}
    for_all = AgeGroup(grade=None)
    for course in courses:
        levels = [grade.level for grade in course.grades.all() if grade.level in by_level]
        for level in levels:
            sessions = [s for s in course.upcoming if _for_age_group(s, level, by_level)]
            by_level[level].courses.append(CourseInGroup(course, sessions))
        if not levels:
            for_all.courses.append(CourseInGroup(course, course.upcoming))
    if for_all.courses:
        groups.append(for_all)
    return groups


def _for_age_group(session: Session, level: int, groups) -> bool:
    """Whether `session` is for the age group `level`: one of its grades, or it names none."""
    levels = {grade.level for grade in session.grades.all() if grade.level in groups}
    return not levels or level in levels


def course_materials_downloadable(course: Course, *, user, at: dt.datetime | None = None) -> bool:
    """Whether `user` may download the materials of `course` at `at`.

    Once booked, or after the session: see the module's docstring. Three
    queries at most (two to know the learner's audience, one to decide).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user_manages_timetable(user):
        return True
    at = at or timeutil.now()
    ended = Q(status=Session.Status.SCHEDULED, ends_at__lte=at)
    return (
        Session.objects.filter(course=course)
        .filter(
            Q(teacher__user=user)
            | Q(bookings__learner=user, bookings__status=Booking.Status.CONFIRMED)
            | (ended & (Q(open_to_public=True) | audience_filter(user)))
        )
        .exists()
    )


def course_materials(course: Course) -> list[Material]:
    return list(Material.objects.filter(course=course).order_by("uploaded_at", "id"))


def material_get_for_user(
    material_id: int, *, user, at: dt.datetime | None = None
) -> Material | None:
    """The material if `user` may download it at `at`, else None (the caller answers 404)."""
    material = Material.objects.select_related("course").filter(pk=material_id).first()
    if material is None or not course_materials_downloadable(material.course, user=user, at=at):
        return None
    return material


def speakers_all() -> list[Speaker]:
    return list(Speaker.objects.order_by("name", "id"))


def courses_for_managing() -> list[Course]:
    """Every course with its number of sessions and materials, newest first."""
    return list(
        _courses(
            Course.objects.annotate(
                session_count=Count("sessions", distinct=True),
                material_count=Count("materials", distinct=True),
            )
        ).order_by("-created_at", "-id")
    )
