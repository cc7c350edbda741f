"""Set-up of the tutoring tests: a frozen clock on a Monday evening, teachers on duty, askers."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from eschool.accounts.models import Role, Student, Teacher
from eschool.core import timeutil
from eschool.core.testing import make_user
from eschool.org.models import Grade, Homeroom, Subject
from eschool.tutoring.models import Shift
from eschool.tutoring.selectors import grade_bands

MONDAY = dt.date(2026, 12, 7)
TUESDAY = dt.date(2026, 12, 8)
SUNDAY = dt.date(2026, 12, 13)


def shanghai(day: dt.date, hhmm: str) -> dt.datetime:
    return timeutil.at_local(day, timeutil.parse_hhmm(hhmm))


class Clock:
    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch

    def set(self, moment: dt.datetime) -> None:
        self._monkeypatch.setattr(timeutil, "_frozen", moment.astimezone(dt.UTC))

    def at(self, hhmm: str, day: dt.date = MONDAY) -> dt.datetime:
        moment = shanghai(day, hhmm)
        self.set(moment)
        return moment

    def advance(self, **delta) -> dt.datetime:
        moment = timeutil.now() + dt.timedelta(**delta)
        self.set(moment)
        return moment


@pytest.fixture
def clock(monkeypatch):
    """Frozen at Monday 2026-12-07 19:45 Asia/Shanghai (tutoring is open) unless set."""
    clock = Clock(monkeypatch)
    clock.at("19:45")
    return clock


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


def maths():
    return Subject.objects.get(name="数学")


def junior_band():
    return grade_bands().get(name="初中")


def make_teacher(username, name, *, school, subjects=("数学",)):
    user = make_user(username, name, Role.TEACHER, school=school)
    profile = Teacher.objects.create(user=user, school=school)
    profile.subjects.set(Subject.objects.filter(name__in=subjects))
    return user


def make_asker(username, name, *, school, level=7):
    grade = Grade.objects.get(level=level)
    homeroom = Homeroom.objects.get_or_create(school=school, grade=grade, number=3)[0]
    user = make_user(username, name, Role.STUDENT, school=school)
    Student.objects.create(user=user, school=school, grade=grade, homeroom=homeroom)
    return user


def on_duty(user, *, day=MONDAY, subjects=("数学",), online_at=None, limit=1) -> Shift:
    """A shift for `user` on `day` (written directly: the reading side under test)."""
    shift = Shift.objects.create(
        teacher=user.teacher, day=day, band=junior_band(), session_limit=limit
    )
    shift.subjects.set(Subject.objects.filter(name__in=subjects))
    if online_at is not None:
        Shift.objects.filter(pk=shift.pk).update(clocked_in_at=online_at, idle_since=online_at)
        shift.refresh_from_db()
    return shift


def photo_upload(name="题.jpg", *, size=(800, 600), fmt="JPEG", exif=None) -> SimpleUploadedFile:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif is not None:
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def teachers(school_a):
    """Three maths teachers: 甲 online since 19:31, 乙 since 19:32, 丙 since 19:33 (甲 idle longest)."""
    users = []
    for number, (username, name) in enumerate(
        [("T1001", "甲老师"), ("T1002", "乙老师"), ("T1003", "丙老师")], start=1
    ):
        user = make_teacher(username, name, school=school_a)
        on_duty(user, online_at=shanghai(MONDAY, f"19:3{number}"))
        users.append(user)
    return users
