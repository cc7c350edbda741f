"""A district event's heartbeats: one token for everyone, each student still counted as themself."""

import json

import pytest
from django.conf import settings
from django.test import Client

from eschool.watching import buffer, services
from eschool.watching.models import WatchSection

from .conftest import beat, fold, logged_in

pytestmark = pytest.mark.django_db
VISITOR = "visitor0123456789ab"


def shared_token(client, event):
    response = client.get(f"/watch/sessions/{event.pk}/token.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    data = response.json()
    assert (data["shared"], data["visitor"], data["interval"]) == (True, "", 20)
    return data["token"]


def send(client, token, beats, **extra):
    return client.post(
        "/watch/heartbeats",
        data=json.dumps({"token": token, "beats": beats, "visitor": VISITOR}),
        content_type="text/plain;charset=UTF-8",
        **extra,
    )


def sections(event):
    return sorted(
        WatchSection.objects.filter(session=event).values_list("user__username", "seconds")
    )


def test_everyone_gets_the_same_token_and_it_reads_no_user(
    client, event, student, django_assert_num_queries
):
    shared_token(client, event)  # the first one learns that the session is an open event
    with django_assert_num_queries(0):
        token = shared_token(Client(), event)
    assert services.watch_token_read(token).key == services.SHARED  # it names no one
    viewer = logged_in(student)
    with django_assert_num_queries(2):  # the middleware's login session and user only
        shared_token(viewer, event)


def test_each_student_is_counted_as_themself_with_the_shared_token(
    client, event, student, stranger, teacher
):
    token = shared_token(client, event)
    for user, seconds in ((student, 20), (stranger, 40)):
        answer = send(
            logged_in(user),
            token,
            [beat(event, "s1", 0, 0, 0), beat(event, "s1", 0, seconds, seconds * 1000)],
        )
        assert answer.status_code == 202
    assert send(Client(), token, [beat(event, "a1", 0, 30, 30_000)]).status_code == 202
    assert services.viewer_count(session=event) == 3  # two students and a visitor
    fold()
    assert sections(event) == [(student.username, 20.0), (stranger.username, 40.0)]


def test_another_sites_page_cannot_count_for_the_student(client, event, student):
    token = shared_token(client, event)
    forged = send(
        logged_in(student),
        token,
        [beat(event, "s1", 0, 30, 30_000)],
        HTTP_ORIGIN="https://evil.example",
    )
    assert forged.status_code == 202  # counted as a viewer, as any visitor
    fold()
    assert sections(event) == []


def test_the_shared_token_is_for_its_event_only(client, event, lesson, student):
    token = shared_token(client, event)
    answer = send(logged_in(student), token, [beat(lesson, "s1", 0, 30, 30_000)])
    assert answer.status_code == 400
    assert buffer.pending_count() == 0
    # A class's token still names its viewer and is never cached.
    viewer = logged_in(student)
    response = viewer.get(f"/watch/sessions/{lesson.pk}/token.json")
    assert response.json()["shared"] is False
    assert "no-store" in response["Cache-Control"]


# The fast path (Redis): the login cookie, resolved by the fold ----------------------------


def login_cookie(user) -> str:
    return logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value


def test_the_fold_finds_who_each_login_is_in_two_queries(
    event, student, stranger, django_assert_num_queries
):
    keys = {login_cookie(student): student.pk, login_cookie(stranger): stranger.pk}
    with django_assert_num_queries(2):  # the login sessions, their users
        assert services.users_of_logins(set(keys) | {"0" * 32}) == keys


def test_a_login_that_ended_or_whose_password_changed_counts_for_no_one(event, student, stranger):
    ended = logged_in(student)
    ended_key = ended.cookies[settings.SESSION_COOKIE_NAME].value
    ended.logout()
    changed_key = login_cookie(stranger)
    stranger.set_password("a new password 2026")
    stranger.save(update_fields=["password"])
    assert services.users_of_logins({ended_key, changed_key}) == {}


def test_the_fast_path_keeps_the_login_and_the_fold_names_the_student(event, student, stranger):
    if not settings.REDIS_URL:
        pytest.skip("the fast path exists only with Redis (REDIS_URL)")
    from config.asgi import application

    from .test_fast_path import call_with_headers

    token = services.shared_token_issue(session_id=event.pk)
    for user, seconds in ((student, 20), (stranger, 40)):
        body = json.dumps(
            {
                "token": token,
                "visitor": VISITOR,
                "beats": [
                    beat(event, "s1", 0, 0, 0),
                    beat(event, "s1", 0, seconds, seconds * 1000),
                ],
            }
        ).encode()
        cookie = f"django_language=en; {settings.SESSION_COOKIE_NAME}={login_cookie(user)}"
        status, headers, data = call_with_headers(
            application,
            body,
            extra_headers=[(b"cookie", cookie.encode()), (b"origin", b"http://testserver")],
        )
        assert (status, data) == (202, {"accepted": 2})
        assert "vary" not in headers  # answered before Django
    fold()
    assert sections(event) == [(student.username, 20.0), (stranger.username, 40.0)]
