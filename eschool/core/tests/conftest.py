import datetime as dt

import pytest

from eschool.classroom.models import Booking, Session
from eschool.core import timeutil
from eschool.org.models import Grade


@pytest.fixture
def teachers_class(personas):
    """A class the teacher persona gives on 2026-12-07; `book(learner, status)` books it."""
    day = dt.date(2026, 12, 7)
    session = Session.objects.create(
        day=day,
        starts_at=timeutil.at_local(day, dt.time(8, 0)),
        ends_at=timeutil.at_local(day, dt.time(8, 40)),
        title="《春》朗读与赏析",
        stage="junior",
        teacher=personas["teacher"].teacher,
    )
    session.grades.set([Grade.objects.get(level=7)])

    def book(learner, status=Booking.Status.CONFIRMED):
        queued_at = timeutil.at_local(day, dt.time(7, 0))
        Booking.objects.create(session=session, learner=learner, status=status, queued_at=queued_at)

    session.book = book
    return session
