"""Whether everyone may watch a district event is kept a minute, and forgotten when it changes."""

import pytest
from django.test import Client

from eschool.classroom.services import session_cancel, session_update
from eschool.watching.selectors import open_event

from .conftest import shanghai

pytestmark = pytest.mark.django_db
PUBLIC = "public, max-age=60"


def token_answer(event):
    response = Client().get(f"/watch/sessions/{event.pk}/token.json")
    assert response.status_code == 200
    return response.json()["shared"], response["Cache-Control"]


def recent_chat(event):
    response = Client().get(f"/chat/sessions/{event.pk}/recent.json")
    return response.status_code, response.get("Cache-Control", "")


def test_a_cancelled_event_stops_sharing_its_token_and_chat_at_once(event, district_admin):
    assert token_answer(event) == (True, PUBLIC)  # and kept for a minute
    assert recent_chat(event) == (200, "public, max-age=2")

    session_cancel(actor=district_admin, session=event, reason="暴雨")

    assert open_event(event.pk) is None
    shared, cache_control = token_answer(event)
    assert shared is False and "no-store" in cache_control
    assert recent_chat(event) == (404, "")  # a cancelled event has no chat to read


def test_an_event_made_a_lecture_stops_being_shared_at_once(event, district_admin):
    assert open_event(event.pk) is not None

    session_update(
        actor=district_admin,
        session=event,
        starts_at=shanghai("09:50"),
        ends_at=shanghai("10:30"),
        stage=event.stage,
        grades=[],
        title=event.title,
        kind="lecture",
        subject=None,
        teacher=event.teacher,
        description="",
    )

    assert open_event(event.pk) is None
    assert token_answer(event)[0] is False
