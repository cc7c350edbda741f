"""The chat panel on the session page (included by the live player)."""

import pytest

from eschool.classroom.models import Session


def panel_of(client, session):
    client.cookies["django_language"] = "en"
    page = client.get(f"/sessions/{session.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.find("data-chat-panel")
    return html[start : html.find("</section>", start)] if start != -1 else ""


def test_a_student_gets_the_tabs_and_a_labelled_input(client, session, student):
    client.force_login(student)
    panel = panel_of(client, session)
    assert 'data-tab="chat">Chat</button>' in panel
    assert 'data-tab="question">Questions' in panel
    assert f'<label for="chat-input-{session.pk}"' in panel
    assert f'id="chat-input-{session.pk}" name="text" maxlength="300"' in panel
    assert 'data-moderator="false"' in panel
    assert f'data-socket="/ws/sessions/{session.pk}/chat/"' in panel


def test_the_teacher_gets_the_moderation_tools(client, session, teacher):
    client.force_login(teacher)
    assert 'data-moderator="true"' in panel_of(client, session)


@pytest.mark.parametrize("persona", [None, "student", "school_admin"])
def test_a_district_events_viewers_read_its_chat_by_polling_and_cannot_write(
    client, make_session, at_ten, personas, persona
):
    event = make_session(kind=Session.Kind.EVENT)
    if persona:
        client.force_login(personas[persona])
    panel = panel_of(client, event)
    assert f'data-poll-url="/chat/sessions/{event.pk}/recent.json"' in panel
    assert "During a district event only its organisers write here." in panel
    assert "chat-input" not in panel
    assert "Log in to chat" not in panel


@pytest.mark.parametrize("persona", ["teacher", "district_admin"])
def test_those_who_run_a_district_event_write_and_moderate_over_the_socket(
    client, make_session, at_ten, personas, persona
):
    event = make_session(kind=Session.Kind.EVENT, teacher=personas["teacher"])
    client.force_login(personas[persona])
    panel = panel_of(client, event)
    assert "data-poll-url" not in panel
    assert 'data-moderator="true"' in panel
    assert f'id="chat-input-{event.pk}"' in panel


@pytest.mark.parametrize("logged_in", [False, True])
def test_no_panel_for_those_who_may_not_watch(
    client, make_session, teacher, student, at_ten, logged_in
):
    # A class with seats is for those who booked one; a class is not for anonymous visitors.
    lesson = make_session(teacher=teacher)
    Session.objects.filter(pk=lesson.pk).update(capacity=30)
    if logged_in:
        client.force_login(student)
    assert panel_of(client, lesson) == ""


def test_the_django_admin_lists_messages_and_mutes_for_review(
    client, session, student, district_admin
):
    from eschool.chat import services

    services.message_post(author=student, session=session, text="看得见")
    client.force_login(district_admin)
    page = client.get("/admin/chat/message/")
    assert page.status_code == 200 and "看得见" in page.content.decode()
    assert client.get("/admin/chat/mute/").status_code == 200
    assert client.get("/admin/chat/message/add/").status_code == 403
