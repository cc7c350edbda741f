"""Shared set-up of the watching tests: a session today, a settable clock, sending and folding."""

import datetime as dt
import json

import pytest
from django.test import Client

from eschool.classroom.models import Booking, Session
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject
from eschool.watching import services

TODAY = dt.date(2026, 12, 7)


def shanghai(hhmm: str, day: dt.date = TODAY) -> dt.datetime:
    return timeutil.at_local(day, timeutil.parse_hhmm(hhmm))


class Clock:
    """The project's clock (timeutil.now), which the heartbeat buffer reads too."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self.moment = shanghai("10:00")
        self.set(self.moment)

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment.astimezone(dt.UTC)
        self._monkeypatch.setattr(timeutil, "_frozen", self.moment)

    def advance(self, seconds: float) -> None:
        self.set(self.moment + dt.timedelta(seconds=seconds))


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def lesson(clock, teacher, student):
    """Today 10:00–10:40, taught by the teacher persona, booked by the student persona."""
    session = Session.objects.create(
        day=TODAY,
        starts_at=shanghai("10:00"),
        ends_at=shanghai("10:40"),
        title="分数的加减",
        stage=Stage.JUNIOR,
        subject=Subject.objects.get(name="数学"),
        teacher=teacher.teacher,
        capacity=30,
        seats_taken=1,
    )
    session.grades.set(Grade.objects.filter(level=7))
    Booking.objects.create(
        session=session, learner=student, status=Booking.Status.CONFIRMED, queued_at=clock.moment
    )
    return session


@pytest.fixture
def event(clock, teacher):
    """A district event today 09:50–10:30 (no booking, everyone may watch), the teacher's."""
    return Session.objects.create(
        day=TODAY,
        starts_at=shanghai("09:50"),
        ends_at=shanghai("10:30"),
        title="升旗仪式",
        stage=Stage.JUNIOR,
        kind=Session.Kind.EVENT,
        teacher=teacher.teacher,
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def beat(session, section, start, to, at, mode="live"):
    return {
        "session": session.pk,
        "mode": mode,
        "section": section,
        "from": start,
        "to": to,
        "at": at,
    }


def token_for(user, session):
    return services.watch_token_issue(user=user, session_id=session.pk)[0]


def post(client, token, beats):
    return client.post(
        "/watch/heartbeats",
        data=json.dumps({"token": token, "beats": beats}),
        content_type="text/plain;charset=UTF-8",
    )


def fold():
    return services.heartbeats_fold()
