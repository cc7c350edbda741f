import datetime as dt

import pytest
from django.core.cache import cache

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject

TODAY = dt.date(2026, 12, 7)  # a Monday
TOMORROW = dt.date(2026, 12, 8)


def shanghai(day: dt.date, hhmm: str) -> dt.datetime:
    return timeutil.at_local(day, timeutil.parse_hhmm(hhmm))


class Clock:
    """The project's clock (eschool.core.timeutil.now), set by the test."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch

    def set(self, moment: dt.datetime) -> None:
        assert moment.tzinfo is not None
        self._monkeypatch.setattr(timeutil, "_frozen", moment.astimezone(dt.UTC))


@pytest.fixture
def clock(monkeypatch):
    """Frozen at 2026-12-07 10:00 Asia/Shanghai unless the test sets it."""
    clock = Clock(monkeypatch)
    clock.set(shanghai(TODAY, "10:00"))
    return clock


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached pages would survive from one test to the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_session(db):
    """Write a session straight to the database (the reading side under test)."""

    def make(
        *,
        day=TODAY,
        start="08:00",
        end="08:40",
        title="分数的加减",
        grades=("七年级",),
        stage=Stage.JUNIOR,
        subject="数学",
        teacher=None,
        kind=Session.Kind.CLASS,
        status=Session.Status.SCHEDULED,
        description="",
    ):
        session = Session.objects.create(
            day=day,
            starts_at=shanghai(day, start),
            ends_at=shanghai(day, end),
            title=title,
            stage=stage,
            subject=Subject.objects.get(name=subject) if subject else None,
            teacher=teacher.teacher if teacher is not None else None,
            kind=kind,
            status=status,
            description=description,
        )
        session.grades.set(Grade.objects.filter(name__in=grades))
        return session

    return make
