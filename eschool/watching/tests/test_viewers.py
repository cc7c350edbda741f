"""The live viewer count: who was heard from in the last minute, shown only to those who run the session."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from .conftest import beat, post, token_for

pytestmark = pytest.mark.django_db


def viewers(client, session):
    answer = client.get(f"/watch/sessions/{session.pk}/viewers.json")
    assert answer.status_code == 200
    return answer.json()["viewers"]


def test_the_teacher_sees_each_viewer_once(client, clock, lesson, teacher, student, parent):
    for user in (student, parent, AnonymousUser(), AnonymousUser()):
        token = token_for(user, lesson)
        post(Client(), token, [beat(lesson, "s1", 0, 0, 1000)])
        clock.advance(5)
        post(Client(), token, [beat(lesson, "s1", 0, 5, 6000)])  # the same viewer again
    client.force_login(teacher)
    assert viewers(client, lesson) == 4


def test_a_viewer_who_stopped_sending_is_gone_after_a_minute(
    client, clock, lesson, teacher, student
):
    post(Client(), token_for(student, lesson), [beat(lesson, "s1", 0, 0, 1000)])
    client.force_login(teacher)
    clock.advance(30)
    assert viewers(client, lesson) == 1
    clock.advance(31)
    assert viewers(client, lesson) == 0


def test_the_fragment_shows_the_count_and_polls_every_ten_seconds(client, lesson, teacher, student):
    post(Client(), token_for(student, lesson), [beat(lesson, "s1", 0, 0, 1000)])
    client.force_login(teacher)
    answer = client.get(f"/watch/sessions/{lesson.pk}/viewers/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<strong>1</strong>" in html
    assert 'hx-trigger="every 10s"' in html
    assert f"/watch/sessions/{lesson.pk}/attendance/" in html


def test_a_district_administrator_sees_the_count(client, lesson, district_admin):
    client.force_login(district_admin)
    assert viewers(client, lesson) == 0


@pytest.mark.parametrize(
    "persona", ["school_admin", "student", "parent", "stranger", "outside_learner"]
)
def test_others_get_404(client, lesson, personas, persona):
    client.force_login(personas[persona])
    assert client.get(f"/watch/sessions/{lesson.pk}/viewers.json").status_code == 404
    assert client.get(f"/watch/sessions/{lesson.pk}/viewers/").status_code == 404


def test_the_public_gets_404(client, lesson):
    assert client.get(f"/watch/sessions/{lesson.pk}/viewers.json").status_code == 404
    assert client.get("/watch/sessions/999999/viewers.json").status_code == 404


def test_included_in_the_teachers_panel_it_asks_for_the_count_at_once(lesson):
    from django.template.loader import render_to_string

    html = render_to_string("watching/_viewer_count.html", {"session": lesson})
    assert 'hx-trigger="load, every 10s"' in html
    assert f'hx-get="/watch/sessions/{lesson.pk}/viewers/"' in html
    assert "<strong>…</strong>" in html
