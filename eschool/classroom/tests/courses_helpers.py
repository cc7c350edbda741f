"""Shared set-up of the courses tests: files kept in a temporary folder, sample courses."""

import datetime as dt
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from eschool.classroom.models import Booking, Course, Kind, Session, Speaker
from eschool.classroom.services import courses as course_services
from eschool.core.tests.test_uploads import PDF_BYTES, png_bytes
from eschool.org.models import Grade, Stage, Subject

from .conftest import TODAY, shanghai


def use_tmp_storage(settings, tmp_path: Path) -> tuple[Path, Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT, settings.ESCHOOL_PRIVATE_ROOT


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def lecture_series(admin, **changes) -> Course:
    speaker = Speaker.objects.create(name="李明", title="教授", institution="南京大学")
    arguments = {
        "actor": admin,
        "kind": Kind.LECTURE,
        "title": "中考数学专题",
        "description": "函数与几何综合",
        "subject": Subject.objects.get(name="数学"),
        "stage": Stage.JUNIOR,
        "grades": [Grade.objects.get(level=9)],
        "speakers": [speaker],
    }
    arguments.update(changes)
    return course_services.course_create(**arguments)


def add_episode(admin, course, *, day=TODAY, start="19:00", end="19:45", **changes) -> Session:
    return course_services.course_session_add(
        actor=admin,
        course=course,
        starts_at=shanghai(day, start),
        ends_at=shanghai(day, end),
        **changes,
    )


def add_material(admin, course, *, title="讲义", name="讲义.pdf", content=PDF_BYTES):
    return course_services.material_add(
        actor=admin, course=course, title=title, file=SimpleUploadedFile(name, content)
    )


def book(learner, session, status=Booking.Status.CONFIRMED) -> Booking:
    return Booking.objects.create(
        learner=learner,
        session=session,
        status=status,
        queued_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )


def cover_upload(size=(3200, 1600)) -> SimpleUploadedFile:
    return SimpleUploadedFile("封面.png", png_bytes(size=size))
