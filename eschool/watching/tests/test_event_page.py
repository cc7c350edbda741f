"""A district event's watch page at 8:00: the same cached page for every viewer."""

import pytest
from django.contrib.messages import Message as FlashMessage
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import translation

from eschool.live import player
from eschool.live.models import Broadcast

from .conftest import logged_in

pytestmark = pytest.mark.django_db
PUBLIC = "public, max-age=60"
PRIVATE = "private, no-cache"


def page(client, session, query=""):
    response = client.get(f"/sessions/{session.pk}/{query}")
    assert response.status_code == 200
    return response


def test_two_students_and_a_visitor_get_the_same_public_bytes(
    client, event, student, stranger, outside_learner
):
    answers = []
    for viewer in (logged_in(student), logged_in(stranger), logged_in(outside_learner), client):
        cache.clear()  # rendered for each of them, not one copy handed around
        answers.append(page(viewer, event))
    first = answers[0]
    assert [answer["Cache-Control"] for answer in answers] == [PUBLIC] * 4
    assert {answer.content for answer in answers} == {first.content}
    html = first.content.decode()
    assert "升旗仪式" in html and 'id="live"' in html
    # Nothing personal: no name, no CSRF token, no log-out form, one link to one's own page.
    for personal in (student.name, stranger.name, "csrfmiddlewaretoken", "/accounts/logout/"):
        assert personal not in html
    assert '<a href="/accounts/">' in html
    assert "Set-Cookie" not in first.headers
    # The chat is read by polling, and the player's token is the shared one.
    assert f'data-poll-url="/chat/sessions/{event.pk}/recent.json"' in html


def test_a_students_waiting_messages_stay_for_their_next_own_page(event, lesson, student):
    viewer = logged_in(student)
    storage = CookieStorage(RequestFactory().get("/"))
    viewer.cookies["messages"] = storage._encode([FlashMessage(25, "欢迎回来，张三")])
    response = page(viewer, event)
    assert "欢迎回来" not in response.content.decode()
    assert "messages" not in response.cookies  # not taken from the queue either
    assert "欢迎回来，张三" in page(viewer, lesson).content.decode()


def test_those_who_run_the_event_get_their_own_page(event, teacher, district_admin, student):
    for manager in (teacher, district_admin):
        response = page(logged_in(manager), event)
        assert response["Cache-Control"] == PRIVATE
        assert 'id="go-live"' in response.content.decode()
    # Past a shared cache that answers the plain address: ?manage=1 is never shared.
    assert page(logged_in(teacher), event, "?manage=1")["Cache-Control"] == PRIVATE
    shared = page(logged_in(student), event).content
    assert b'id="go-live"' not in shared
    assert page(logged_in(student), event, "?manage=1")["Cache-Control"] == PRIVATE


ENTRY = '<a href="/accounts/login/?next=/sessions/{pk}/%3Fmanage%3D1" rel="nofollow">{text}</a>'


def test_the_shared_page_addresses_no_one_as_its_teacher(client, event, student, teacher):
    html = page(client, event).content.decode()
    # Not "Running this event? Open the teacher's controls" to every visitor: a quiet link.
    assert "teacher's controls" not in html and "教师控制" not in html
    with translation.override("zh-hans"):
        entry = ENTRY.format(pk=event.pk, text=translation.gettext("Teacher sign-in"))
    assert f'<p class="help event-manage"><small>{entry}</small></p>' in html
    assert page(logged_in(student), event).content.decode() == html  # the same shared bytes
    # The event's teacher, logged in, goes through the login page straight to their own page.
    response = logged_in(teacher).get(f"/accounts/login/?next=/sessions/{event.pk}/%3Fmanage%3D1")
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{event.pk}/?manage=1"
    own = page(logged_in(teacher), event, "?manage=1")
    assert own["Cache-Control"] == PRIVATE
    assert 'id="go-live"' in own.content.decode()


def test_the_cached_page_costs_no_query_but_knowing_who_is_logged_in(
    client, event, student, django_assert_num_queries
):
    page(client, event)
    with django_assert_num_queries(0):
        assert page(Client(), event)["Cache-Control"] == PUBLIC
    viewer = logged_in(student)
    # The login session and the user (the middleware: is a password change due?).
    with django_assert_num_queries(2):
        assert page(viewer, event)["Cache-Control"] == PUBLIC


def test_going_live_makes_a_new_page(client, clock, event):
    assert 'data-view="waiting"' in page(client, event).content.decode()
    Broadcast.objects.create(
        session=event, status=Broadcast.Status.LIVE, hls_path=f"live/{event.pk}/index.m3u8"
    )
    cache.delete(player.STATUS_KEY.format(pk=event.pk))  # what 2 s of real time do
    html = page(client, event).content.decode()
    assert 'data-view="live"' in html
    assert f'data-live-url="/media/live/{event.pk}/index.m3u8"' in html


def test_a_class_and_an_event_the_public_may_not_watch_stay_private(
    event, lesson, student, settings
):
    viewer = logged_in(student)
    assert page(viewer, lesson)["Cache-Control"] == PRIVATE
    settings.ESCHOOL_PUBLIC_WATCH = False
    cache.clear()
    response = page(viewer, event)
    assert response["Cache-Control"] == PRIVATE
    assert student.name in response.content.decode()
