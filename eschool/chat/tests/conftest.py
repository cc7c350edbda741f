import datetime as dt

import pytest
from django.utils import translation

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject

DAY = dt.date(2026, 12, 7)  # a Monday, in the past for the project's clock below


def shanghai(hhmm: str) -> dt.datetime:
    return timeutil.at_local(DAY, timeutil.parse_hhmm(hhmm))


@pytest.fixture(autouse=True)
def _in_english():
    # Refusals are compared with their English text; a page requested before (the test
    # client runs the language middleware in this thread) must not decide the language.
    with translation.override("en"):
        yield


@pytest.fixture
def at_ten(monkeypatch):
    """The project's clock at 2026-12-07 10:00 Asia/Shanghai, during the class."""
    monkeypatch.setattr(timeutil, "_frozen", shanghai("10:00").astimezone(dt.UTC))


@pytest.fixture
def make_session(db):
    def make(
        *, teacher=None, kind=Session.Kind.CLASS, status=Session.Status.SCHEDULED, start="09:40"
    ):
        session = Session.objects.create(
            day=DAY,
            starts_at=shanghai(start),
            ends_at=shanghai("10:20"),
            title="分数的加减",
            stage=Stage.JUNIOR,
            subject=Subject.objects.get(name="数学"),
            teacher=teacher.teacher if teacher is not None else None,
            kind=kind,
            status=status,
        )
        session.grades.set(Grade.objects.filter(name="七年级"))
        return session

    return make


@pytest.fixture
def session(make_session, teacher, at_ten):
    return make_session(teacher=teacher)
