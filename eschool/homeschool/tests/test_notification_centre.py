"""The notification centre page and the unread count in the header."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from eschool.homeschool.models import Notification
from eschool.homeschool.selectors import unread_count
from eschool.homeschool.services import notification_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def send(user, key, title, *, minutes_ago, url=""):
    notification_send(user=user, key=key, title=title, url=url)
    Notification.objects.filter(user=user, key=key).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def test_the_centre_lists_newest_first_with_unread_highlighted(english, student, parent):
    send(student, "a", "旧的通知", minutes_ago=30)
    send(student, "b", "新的通知", minutes_ago=1, url="/sessions/1/")
    send(parent, "c", "别人的通知", minutes_ago=1)
    Notification.objects.filter(key="a").update(read_at=timezone.now())
    english.force_login(student)

    response = english.get(reverse("homeschool:notifications"))

    assert [n.title for n in response.context["notifications"]] == ["新的通知", "旧的通知"]
    html = response.content.decode()
    assert html.count('class="card notification unread"') == 1
    assert '<a href="/sessions/1/">新的通知</a>' in html
    assert "别人的通知" not in html
    assert 'Notifications <span class="badge unread">1</span>' in html


def test_mark_all_read_empties_the_count(english, student):
    send(student, "a", "一", minutes_ago=2)
    send(student, "b", "二", minutes_ago=1)
    english.force_login(student)

    response = english.post(reverse("homeschool:notifications_read"))

    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    assert unread_count(student) == 0
    html = english.get(reverse("homeschool:notifications")).content.decode()
    assert 'class="badge unread"' not in html
    assert "Mark all read" not in html


def test_titles_are_shown_escaped(english, student):
    send(student, "x", "数学<script>alert(1)</script>", minutes_ago=1)
    english.force_login(student)

    html = english.get(reverse("homeschool:notifications")).content.decode()

    assert "数学&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_the_centre_needs_a_login_and_a_post_to_mark_read(client, student):
    assert client.get(reverse("homeschool:notifications"))["Location"] == (
        "/accounts/login/?next=/notifications/"
    )
    client.force_login(student)
    assert client.get(reverse("homeschool:notifications_read")).status_code == 405


def test_the_header_count_costs_one_query_and_none_for_visitors(
    client, student, django_assert_num_queries
):
    send(student, "a", "一", minutes_ago=1)
    # A visitor (the login page): no query at all.
    with django_assert_num_queries(0):
        client.get(reverse("accounts:login"))
    client.force_login(student)
    # session, user, the list, the unread count (read once, used twice)
    with django_assert_num_queries(4):
        client.get(reverse("homeschool:notifications"))
