"""Continue from where one stopped: the server's record, on any device."""

import json

import pytest

from .conftest import beat, fold, post, token_for

pytestmark = pytest.mark.django_db


def resume(client, session):
    response = client.get(f"/watch/sessions/{session.pk}/resume.json")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return json.loads(response.content)


def test_the_replay_continues_where_the_student_stopped_on_another_device(
    client, clock, lesson, student, teacher
):
    phone = token_for(student, lesson)
    # On the phone: the live for a while, then the replay from 0 to 95 s, then a seek back
    # to 30 s and on to 64.3 s, where the phone is put away.
    post(client, phone, [beat(lesson, "live1", 0, 300, 300_000)])
    post(client, phone, [beat(lesson, "r1", 0, 95, 95_000, mode="replay")])
    clock.advance(100)
    post(client, phone, [beat(lesson, "r2", 30, 64.3, 134_000, mode="replay")])
    # The teacher watched further: that is the teacher's place, not the student's.
    post(client, token_for(teacher, lesson), [beat(lesson, "t1", 0, 500, 500_000, "replay")])
    fold()

    client.force_login(student)
    assert resume(client, lesson) == {
        "signed_in": True,
        "position": 64.3,
        "seen_at": int(clock.moment.timestamp() * 1000),
    }


def test_a_student_who_never_played_the_replay_has_no_place(client, lesson, student):
    post(client, token_for(student, lesson), [beat(lesson, "live1", 0, 300, 300_000)])
    fold()
    client.force_login(student)
    assert resume(client, lesson) == {"signed_in": True, "position": None, "seen_at": None}


def test_visitors_keep_their_place_in_their_browser_and_ask_nothing_of_the_database(
    client, lesson, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert resume(client, lesson) == {"signed_in": False, "position": None, "seen_at": None}


def test_the_place_is_one_query_besides_the_login(
    client, lesson, student, django_assert_num_queries
):
    client.force_login(student)
    with django_assert_num_queries(3):  # the login session, the user, the latest section
        resume(client, lesson)
