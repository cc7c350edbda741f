"""The ASGI fast path for heartbeats (Redis only): the same answers as the view, without Django."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.utils import translation

from eschool.watching import buffer
from eschool.watching.asgi import heartbeats_fast_path
from eschool.watching.models import WatchSection

from .conftest import beat, fold, token_for

pytestmark = pytest.mark.django_db


def call(app, body: bytes, path="/watch/heartbeats", method="POST"):
    """(status, decoded JSON body) of one HTTP request through the ASGI app."""
    status, _headers, data = call_with_headers(app, body, path=path, method=method)
    return status, data


def call_with_headers(app, body: bytes, path="/watch/heartbeats", method="POST", extra_headers=()):
    """(status, {header name: value}, decoded JSON body) of one HTTP request."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"text/plain"), *extra_headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    answer = {}

    async def receive():
        if messages:
            return messages.pop(0)
        # A client that stays connected (Django listens for a disconnect while it answers).
        await asyncio.Event().wait()

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer["body"] = answer.get("body", b"") + message.get("body", b"")

    async_to_sync(app)(scope, receive, send)
    data = json.loads(answer["body"]) if answer.get("body") else None
    return answer["status"], answer["headers"], data


@pytest.fixture
def app():
    if not settings.REDIS_URL:
        pytest.skip("the fast path exists only with Redis (REDIS_URL)")
    return heartbeats_fast_path(get_asgi_application())


def test_the_served_application_takes_the_fast_path_on_redis(lesson, student):
    """config.asgi's application as uvicorn serves it: on Redis a valid batch never reaches
    Django (none of its middleware's headers); on the embedded default there is no fast path."""
    from config.asgi import application

    http = application.application_mapping["http"]
    if not settings.REDIS_URL:
        # Django's own app there (behind the request line, if one is set), no fast path.
        assert http.__qualname__ != "heartbeats_fast_path.<locals>.wrapped"
        return
    assert http.__qualname__ == "heartbeats_fast_path.<locals>.wrapped"
    body = json.dumps(
        {"token": token_for(student, lesson), "beats": [beat(lesson, "s1", 0, 0, 0)]}
    ).encode()
    status, headers, data = call_with_headers(application, body)
    assert (status, data) == (202, {"accepted": 1})
    assert buffer.pending_count() == 1
    assert headers == {
        "content-type": "application/json",
        "content-length": "15",
        "cache-control": "no-store",
    }
    # A refusal is Django's own answer, through its middleware.
    status, headers, data = call_with_headers(application, b"{not json")
    with translation.override("zh-hans"):
        expected = translation.gettext("The batch is not valid JSON.")
    assert (status, data) == (400, {"error": expected})
    assert headers["x-frame-options"] == "DENY"


def test_without_redis_there_is_no_fast_path(settings):
    settings.REDIS_URL = ""
    django_app = get_asgi_application()
    assert heartbeats_fast_path(django_app) is django_app


def test_a_valid_batch_is_accepted_and_folds_like_the_views(app, lesson, student):
    body = json.dumps(
        {
            "token": token_for(student, lesson),
            "beats": [beat(lesson, "s1", 0, 0, 0), beat(lesson, "s1", 0, 15, 15000)],
        }
    ).encode()
    assert call(app, body) == (202, {"accepted": 2})
    assert call(app, body) == (202, {"accepted": 2})  # twice: counted once
    assert buffer.pending_count() == 2
    fold()
    section = WatchSection.objects.get()
    assert (section.user, section.mode, section.seconds) == (student, "live", 15.0)


def test_a_bad_batch_gets_the_views_answer(app, lesson, student):
    body = json.dumps({"token": token_for(student, lesson), "beats": []}).encode()
    status, data = call(app, body)
    assert status == 400
    assert "error" in data
    assert call(app, b"{not json")[0] == 400
    assert call(app, json.dumps({"token": "x", "beats": []}).encode())[0] == 403
    assert buffer.pending_count() == 0


def test_other_requests_go_to_django(app, lesson):
    assert call(app, b"", path="/watch/heartbeats", method="GET") == (405, None)
