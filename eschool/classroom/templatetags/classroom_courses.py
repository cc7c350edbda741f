"""{% course_panel session as panel %}: the course of a session, its speakers and materials.

A template tag because the session page's view belongs to the timetable part;
the courses part fills in its own partial (_session_course.html).
"""

from dataclasses import dataclass, field

from django import template

from eschool.classroom.models import Course, Material, Speaker
from eschool.classroom.selectors import courses as course_selectors

register = template.Library()


@dataclass
class CoursePanel:
    course: Course
    speakers: list[Speaker] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    may_download: bool = False


@register.simple_tag(takes_context=True)
def course_panel(context, session):
    """None when the session belongs to no course; else what the session page shows of it."""
    if session.course_id is None:
        return None
    request = context.get("request")
    user = getattr(request, "user", None)
    course = session.course
    materials = course_selectors.course_materials(course)
    return CoursePanel(
        course=course,
        speakers=list(course.speakers.order_by("name", "id")),
        materials=materials,
        may_download=bool(materials)
        and user is not None
        and course_selectors.course_materials_downloadable(course, user=user),
    )
