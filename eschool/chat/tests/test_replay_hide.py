"""Beside the replay the kept chat has no socket: the teacher or a district administrator hides a
message there over HTTP (POST /chat/sessions/<pk>/messages/<id>/hide)."""

import pytest

from eschool.chat import services
from eschool.chat.models import Message


def hide_url(session, message) -> str:
    return f"/chat/sessions/{session.pk}/messages/{message.pk}/hide"


def kept_ids(client, session) -> list[int]:
    return [
        m["id"] for m in client.get(f"/chat/sessions/{session.pk}/messages.json").json()["messages"]
    ]


@pytest.mark.parametrize("moderator", ["teacher", "district_admin"])
def test_a_moderator_hides_a_kept_message_and_the_replay_no_longer_shows_it(
    client, session, student, personas, moderator
):
    kept = services.message_post(author=student, session=session, text="第一条")
    rude = services.message_post(author=student, session=session, text="不该留下的话")
    client.force_login(personas[moderator])

    answer = client.post(hide_url(session, rude))

    assert (answer.status_code, answer.json()) == (200, {"hidden": rude.pk})
    rude.refresh_from_db()
    assert rude.hidden_at is not None and rude.hidden_by == personas[moderator]
    assert kept_ids(client, session) == [kept.pk]
    # Hiding again changes nothing.
    assert client.post(hide_url(session, rude)).status_code == 200
    assert Message.objects.filter(hidden_at__isnull=False).count() == 1


@pytest.mark.parametrize("persona", [None, "student", "school_admin", "parent", "stranger"])
def test_anyone_else_gets_404_and_nothing_is_hidden(client, session, student, personas, persona):
    message = services.message_post(author=student, session=session, text="你好")
    if persona:
        client.force_login(personas[persona])

    assert client.post(hide_url(session, message)).status_code == 404
    assert Message.objects.get(pk=message.pk).hidden_at is None


def test_a_message_of_another_session_is_404_and_only_post_hides(
    client, session, make_session, teacher, student
):
    other = make_session(teacher=teacher, start="09:50")
    message = services.message_post(author=student, session=other, text="别的课")
    client.force_login(teacher)

    assert client.post(hide_url(session, message)).status_code == 404
    assert client.get(hide_url(other, message)).status_code == 405
    assert Message.objects.get(pk=message.pk).hidden_at is None


def test_only_moderators_pages_carry_the_hide_address(client, session, teacher, student):
    client.force_login(teacher)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'data-hide-url="/chat/sessions/{session.pk}/messages/0/hide"' in page
    client.force_login(student)
    assert "data-hide-url" not in client.get(f"/sessions/{session.pk}/").content.decode()
