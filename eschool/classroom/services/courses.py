"""Courses, lecture series, speakers, covers and materials: the only way they change.

Only district administrators write here (the same rule as the timetable:
eschool.classroom.selectors.user_manages_timetable). Teachers do not create
courses of their own yet; the district puts their sessions on the timetable.

Uploaded files are checked by eschool.core.uploads: covers and photos are
re-encoded to a bounded size, materials keep their bytes and are stored
outside MEDIA_ROOT. Stored names are random, never the uploader's.
"""

import datetime as dt
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from eschool.accounts.models import Teacher
from eschool.classroom.models import Course, Kind, Material, Session, Speaker
from eschool.classroom.selectors import user_manages_timetable
from eschool.classroom.services import session_create, timetable_changed
from eschool.core import uploads
from eschool.org.models import Grade, Stage, Subject
from eschool.org.stages import stage_grades_error

COVER_MAX_SIDE = 1600
PHOTO_MAX_SIDE = 600


def _check_actor(actor) -> None:
    if not user_manages_timetable(actor):
        raise PermissionDenied(_("Only district administrators manage courses."))


def _random_name(extension: str) -> str:
    return f"{secrets.token_urlsafe(12)}.{extension}"


def _image(upload, *, field: str, max_side: int):
    """The upload re-encoded, or ValidationError keyed by `field`."""
    try:
        image = uploads.bounded_image(upload, max_side=max_side)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    image.name = _random_name(image.name.rsplit(".", 1)[-1])
    return image


def _validate_course(*, kind: str, title: str, stage: str, grades: list[Grade]) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [_("Choose a kind of course.")]
    if not title.strip():
        errors["title"] = [_("Give the course a title.")]
    if stage and stage not in Stage.values:
        errors["stage"] = [_("Choose a stage.")]
    wrong_grades = stage_grades_error(stage=stage, grades=grades)
    if wrong_grades:
        errors["grades"] = [wrong_grades]
    if errors:
        raise ValidationError(errors)


def _delete_file_on_commit(field_file) -> None:
    if field_file:
        storage, name = field_file.storage, field_file.name
        transaction.on_commit(lambda: storage.delete(name))


def course_create(
    *,
    actor,
    kind: str,
    title: str,
    description: str = "",
    subject: Subject | None = None,
    stage: str = "",
    grades: Iterable[Grade] = (),
    speakers: Iterable[Speaker] = (),
    cover=None,
) -> Course:
    """A new course, lecture series, parenting course or district event.

    `cover` is an uploaded picture (or None); it is checked and re-encoded to
    at most COVER_MAX_SIDE px. Raises PermissionDenied unless `actor` is a
    district administrator, ValidationError (keys: kind, title, stage, grades,
    cover) for bad values.
    """
    _check_actor(actor)
    grades = list(grades)
    _validate_course(kind=kind, title=title, stage=stage, grades=grades)
    image = _image(cover, field="cover", max_side=COVER_MAX_SIDE) if cover else None
    with transaction.atomic():
        course = Course(
            kind=kind,
            title=title.strip(),
            description=description.strip(),
            subject=subject,
            stage=stage,
        )
        if image is not None:
            course.cover.save(image.name, image, save=False)
        course.save()
        course.grades.set(grades)
        course.speakers.set(list(speakers))
    return course


def course_update(
    *,
    actor,
    course: Course,
    kind: str,
    title: str,
    description: str,
    subject: Subject | None,
    stage: str,
    grades: Iterable[Grade],
    speakers: Iterable[Speaker],
    cover=None,
    remove_cover: bool = False,
) -> Course:
    """Change a course. `cover` replaces the cover; `remove_cover` drops it.

    The course's sessions keep their own kind, grades and subject: they were
    copied when each session was added and may have been edited since.
    """
    _check_actor(actor)
    grades = list(grades)
    _validate_course(kind=kind, title=title, stage=stage, grades=grades)
    image = _image(cover, field="cover", max_side=COVER_MAX_SIDE) if cover else None
    with transaction.atomic():
        if image is not None or remove_cover:
            _delete_file_on_commit(course.cover)
        course.kind = kind
        course.title = title.strip()
        course.description = description.strip()
        course.subject = subject
        course.stage = stage
        if image is not None:
            course.cover.save(image.name, image, save=False)
        elif remove_cover:
            course.cover = ""
        course.save()
        course.grades.set(grades)
        course.speakers.set(list(speakers))
        # The session pages show the course's title and speakers.
        for day in set(course.sessions.values_list("day", flat=True)):
            timetable_changed(day)
    return course


def course_session_add(
    *,
    actor,
    course: Course,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    title: str = "",
    teacher: Teacher | None = None,
    description: str = "",
    capacity: int | None = None,
    open_to_public: bool | None = None,
    stage: str = "",
    grades: Iterable[Grade] | None = None,
) -> Session:
    """A session (an episode of a series) of `course` on the timetable.

    The session takes the course's kind, subject, stage and grades (`stage`
    and `grades` override them, e.g. for a lecture series that has no stage),
    and the course's title when `title` is empty. `capacity` None means
    unlimited seats; a district event never has a capacity. `open_to_public`
    None means: yes for lectures and district events, no otherwise.
    Raises what eschool.classroom.services.session_create raises, and
    ValidationError on `capacity`.
    """
    _check_actor(actor)
    if open_to_public is None:
        open_to_public = course.kind in {Kind.LECTURE, Kind.EVENT}
    grades = list(course.grades.all()) if grades is None else list(grades)
    with transaction.atomic():
        session = session_create(
            actor=actor,
            starts_at=starts_at,
            ends_at=ends_at,
            stage=stage or course.stage,
            grades=grades,
            title=title.strip() or course.title,
            kind=course.kind,
            subject=course.subject,
            teacher=teacher,
            description=description.strip(),
            capacity=capacity,
        )
        session.course = course
        session.open_to_public = open_to_public
        session.save(update_fields=["course", "open_to_public", "updated_at"])
    return session


# Speakers --------------------------------------------------------------------------


def _validate_speaker(name: str) -> None:
    if not name.strip():
        raise ValidationError({"name": [_("Give the speaker's name.")]})


def speaker_create(
    *,
    actor,
    name: str,
    title: str = "",
    institution: str = "",
    bio: str = "",
    photo=None,
) -> Speaker:
    """A lecturer of the lecture series; `photo` is checked and re-encoded (PHOTO_MAX_SIDE px)."""
    _check_actor(actor)
    _validate_speaker(name)
    image = _image(photo, field="photo", max_side=PHOTO_MAX_SIDE) if photo else None
    with transaction.atomic():
        speaker = Speaker(
            name=name.strip(), title=title.strip(), institution=institution.strip(), bio=bio.strip()
        )
        if image is not None:
            speaker.photo.save(image.name, image, save=False)
        speaker.save()
    return speaker


def speaker_update(
    *,
    actor,
    speaker: Speaker,
    name: str,
    title: str,
    institution: str,
    bio: str,
    photo=None,
    remove_photo: bool = False,
) -> Speaker:
    """Change a speaker; `photo` replaces the photo, `remove_photo` drops it."""
    _check_actor(actor)
    _validate_speaker(name)
    image = _image(photo, field="photo", max_side=PHOTO_MAX_SIDE) if photo else None
    with transaction.atomic():
        if image is not None or remove_photo:
            _delete_file_on_commit(speaker.photo)
        speaker.name = name.strip()
        speaker.title = title.strip()
        speaker.institution = institution.strip()
        speaker.bio = bio.strip()
        if image is not None:
            speaker.photo.save(image.name, image, save=False)
        elif remove_photo:
            speaker.photo = ""
        speaker.save()
    return speaker


# Materials -------------------------------------------------------------------------


def material_add(*, actor, course: Course, title: str, file) -> Material:
    """A material of `course`, typed from its content and stored privately.

    Raises ValidationError (keys: title, file) when the title is empty or the
    file is too large, of a type we do not accept (PDF, pictures, Office
    documents) or named as another type than its content.
    """
    _check_actor(actor)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the material a title.")]
    file_type = None
    if not file:
        errors["file"] = [_("Choose a file.")]
    else:
        try:
            file_type = uploads.check_material(file)
        except ValidationError as error:
            errors["file"] = error.messages
    if errors:
        raise ValidationError(errors)
    size = file.size
    file.seek(0)
    material = Material(
        course=course, title=title.strip(), content_type=file_type.content_type, size=size
    )
    material.file.save(_random_name(file_type.extension), file, save=False)
    try:
        with transaction.atomic():
            material.save()
    except DatabaseError:
        # The row was not written: the stored file must not stay behind.
        material.file.storage.delete(material.file.name)
        raise
    return material


def material_delete(*, actor, material: Material) -> None:
    """Remove a material and (once the removal commits) its file."""
    _check_actor(actor)
    with transaction.atomic():
        _delete_file_on_commit(material.file)
        material.delete()
