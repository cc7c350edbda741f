"""A district event's chat: its organisers write, 100,000 viewers read one cached JSON."""

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client

from eschool.chat import selectors, services
from eschool.classroom.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_session, teacher, at_ten):
    return make_session(kind=Session.Kind.EVENT, teacher=teacher)


def recent(client, event):
    response = client.get(f"/chat/sessions/{event.pk}/recent.json")
    assert response.status_code == 200
    return response


def test_only_the_events_teacher_and_administrators_write(event, teacher, district_admin, student):
    services.message_post(author=teacher, session=event, text="请全体起立")
    services.message_post(author=district_admin, session=event, text="升旗仪式开始")
    with pytest.raises(PermissionDenied):
        services.message_post(author=student, session=event, text="我也说一句")
    assert selectors.user_may_post(student, event) is False


def test_viewers_poll_the_newest_messages_the_same_for_everyone(
    client, event, teacher, student, district_admin, settings
):
    settings.ESCHOOL_CHAT_RATE_LIMITS = ((1000, 10),)  # 53 messages in the frozen second
    first = services.message_post(author=teacher, session=event, text="第一条")
    services.message_pin(actor=teacher, message=first)
    for number in range(selectors.RECENT_AT_MOST + 1):
        services.message_post(author=district_admin, session=event, text=f"通知{number}")
    hidden = services.message_post(author=teacher, session=event, text="发错了")
    services.message_hide(actor=teacher, message=hidden)

    anonymous = recent(client, event)
    assert anonymous["Cache-Control"] == "public, max-age=2"
    data = anonymous.json()
    texts = [m["text"] for m in data["messages"]]
    # The pinned first message stays, then the newest 50: 通知1 … 通知50.
    assert texts == ["第一条", *[f"通知{n}" for n in range(1, selectors.RECENT_AT_MOST + 1)]]
    assert data["messages"][0]["pinned"] is True
    assert data["as_of"] == "2026-12-07T10:00:00+08:00"

    logged_in = Client()
    logged_in.force_login(student)
    cache.clear()
    again = recent(logged_in, event)
    assert again["Cache-Control"] == "public, max-age=2"
    assert again.content == anonymous.content


def test_the_chat_json_is_built_once_per_two_seconds(
    client, event, teacher, django_assert_num_queries
):
    services.message_post(author=teacher, session=event, text="请全体起立")
    # The event (kept a minute), the session, the newest messages, the older pinned ones.
    with django_assert_num_queries(4):
        recent(client, event)
    with django_assert_num_queries(0):
        recent(client, event)
    cache.delete(selectors.RECENT_KEY.format(pk=event.pk))
    with django_assert_num_queries(3):
        recent(client, event)


def test_not_for_a_class_nor_where_the_public_may_not_watch(
    client, event, make_session, teacher, student, settings
):
    lesson = make_session(teacher=teacher, start="08:00")
    assert client.get(f"/chat/sessions/{lesson.pk}/recent.json").status_code == 404
    settings.ESCHOOL_PUBLIC_WATCH = False
    cache.clear()
    assert client.get(f"/chat/sessions/{event.pk}/recent.json").status_code == 404
    client.force_login(student)
    private = recent(client, event)
    assert private["Cache-Control"] == "private, max-age=2"
    assert client.get(f"/chat/sessions/{lesson.pk}/recent.json").status_code == 404
