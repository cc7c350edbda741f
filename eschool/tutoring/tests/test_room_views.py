"""The room's pages: who may open the room and the transcript, photos, rating, transfer, report."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from PIL import Image

from eschool.accounts.models import Role
from eschool.core.testing import make_user
from eschool.homeschool.models import Notification
from eschool.tutoring import room
from eschool.tutoring.models import RoomMessage, TutoringSession
from eschool.tutoring.tests.test_room_services import make_session

Kind = RoomMessage.Kind


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"
    return settings.ESCHOOL_PRIVATE_ROOT


@pytest.fixture
def tutoring_session(student, teacher):
    return make_session(student, teacher)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student", 200),
        ("teacher", 200),
        ("parent", 404),
        ("district_admin", 404),
        ("school_admin", 404),
        ("stranger", 404),
        ("outside_learner", 404),
    ],
)
def test_only_the_two_sides_open_the_room(client, personas, tutoring_session, persona, status):
    client.force_login(personas[persona])
    response = client.get(reverse("tutoring:room", args=[tutoring_session.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student", 200),
        ("parent", 200),
        ("teacher", 200),
        ("district_admin", 200),
        ("school_admin", 404),
        ("stranger", 404),
        ("outside_learner", 404),
    ],
)
def test_the_transcript_is_for_the_student_their_parents_the_teacher_and_the_district(
    client, personas, tutoring_session, persona, status
):
    student, teacher = personas["student"], personas["teacher"]
    for author, text, client_id in [
        (student, "<b>老师好</b>", "a"),
        (teacher, "你好，请看第二步", "b"),
    ]:
        room.append_message(
            session=tutoring_session,
            author=author,
            kind=Kind.TEXT,
            body={"text": text},
            client_id=client_id,
        )
    room.append_message(
        session=tutoring_session,
        author=teacher,
        kind=Kind.STROKE,
        client_id="s",
        body={"id": "s", "points": [[0.1, 0.1], [0.9, 0.9]]},
    )
    client.force_login(personas[persona])
    response = client.get(reverse("tutoring:transcript", args=[tutoring_session.pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "&lt;b&gt;老师好&lt;/b&gt;" in page  # shown as typed
        assert "你好，请看第二步" in page
        assert '"key": "teacher:s"' in page  # the final board's stroke


def test_a_photo_is_posted_and_served_only_to_those_who_may_read_the_transcript(
    client, personas, tutoring_session, media_root
):
    client.force_login(personas["student"])
    response = client.post(
        reverse("tutoring:room_photo", args=[tutoring_session.pk]),
        {"photo": io.BytesIO(_png()), "client_id": "p-1"},
    )
    assert response.status_code == 200
    assert response.json() == {"seq": 1, "client_id": "p-1"}
    url = reverse("tutoring:room_photo_file", args=[tutoring_session.pk, 1])
    served = client.get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8\xff")  # re-encoded JPEG
    client.force_login(personas["stranger"])
    assert client.get(url).status_code == 404
    client.force_login(personas["parent"])
    assert client.get(url).status_code == 200


def test_a_fake_photo_is_refused_with_a_message_and_nothing_is_stored(
    client, student, tutoring_session, media_root
):
    client.force_login(student)
    response = client.post(
        reverse("tutoring:room_photo", args=[tutoring_session.pk]),
        {"photo": io.BytesIO(b"<svg onload='alert(1)'></svg>"), "client_id": "p-1"},
    )
    assert response.status_code == 400
    with translation.override("zh-hans"):  # the page's language, Chinese by default
        expected = translation.gettext(
            "This file is not a picture (PNG, JPEG, GIF or WebP), whatever its name says."
        )
    assert response.json() == {"error": expected}
    assert not RoomMessage.objects.exists()


def test_the_student_rates_the_ended_session(client, student, teacher, tutoring_session):
    room.room_end(actor=teacher, session=tutoring_session)
    client.force_login(student)
    response = client.post(
        reverse("tutoring:room_rate", args=[tutoring_session.pk]),
        {"rating": "5", "comment": "讲得很清楚"},
    )
    assert response.status_code == 302
    tutoring_session.refresh_from_db()
    assert (tutoring_session.rating, tutoring_session.comment) == (5, "讲得很清楚")


def test_rating_marks_the_request_to_rate_read(client, student, teacher, tutoring_session):
    from eschool.homeschool.models import Notification

    room.room_end(actor=teacher, session=tutoring_session)
    key = f"tutoring:rate:{tutoring_session.pk}"
    assert Notification.objects.get(user=student, key=key).read_at is None
    client.force_login(student)
    client.post(reverse("tutoring:room_rate", args=[tutoring_session.pk]), {"rating": "4"})
    assert Notification.objects.get(user=student, key=key).read_at is not None


def test_the_teacher_may_not_rate_the_session(client, teacher, tutoring_session):
    room.room_end(actor=teacher, session=tutoring_session)
    client.force_login(teacher)
    response = client.post(
        reverse("tutoring:room_rate", args=[tutoring_session.pk]), {"rating": "5"}
    )
    assert response.status_code == 404
    tutoring_session.refresh_from_db()
    assert tutoring_session.rating is None


def test_ending_without_javascript_ends_the_session(client, student, tutoring_session):
    client.force_login(student)
    response = client.post(reverse("tutoring:room_end", args=[tutoring_session.pk]))
    assert response.status_code == 302
    tutoring_session.refresh_from_db()
    assert tutoring_session.ended_by == student
    assert RoomMessage.objects.get().body == {"event": "ended", "by": "student"}


def test_a_reported_problem_reaches_every_district_administrator(
    client, student, district_admin, tutoring_session
):
    second_admin = make_user("admin2", "区管理员二", Role.DISTRICT_ADMIN)
    client.force_login(student)
    response = client.post(
        reverse("tutoring:room_report", args=[tutoring_session.pk]),
        {"reason": "老师让我加他微信"},
    )
    assert response.status_code == 302
    notified = Notification.objects.filter(
        key=f"tutoring:report:{tutoring_session.pk}:{student.pk}"
    )
    assert sorted(n.user_id for n in notified) == sorted([district_admin.pk, second_admin.pk])
    assert notified[0].params == {"name": "张三", "reason": "老师让我加他微信"}
    assert not RoomMessage.objects.exists()  # the other side is not told


def test_the_teacher_transfers_to_a_colleague_on_duty_who_sees_the_history(
    client, student, teacher, school_a, tutoring_session
):
    from eschool.accounts.models import Teacher
    from eschool.tutoring.tests.test_room_consumer import _on_duty

    colleague = make_user("T0002", "李老师", Role.TEACHER, school=school_a)
    Teacher.objects.create(user=colleague, school=school_a)
    _on_duty(colleague)
    room.append_message(
        session=tutoring_session, author=student, kind=Kind.TEXT, body={"text": "第三题"}
    )
    client.force_login(teacher)
    response = client.post(
        reverse("tutoring:room_transfer", args=[tutoring_session.pk]), {"teacher": colleague.pk}
    )
    assert response.status_code == 302
    new = TutoringSession.objects.get(transferred_from=tutoring_session)
    assert new.teacher_id == colleague.pk and new.student_id == student.pk
    client.force_login(colleague)
    page = client.get(reverse("tutoring:room", args=[new.pk])).content.decode()
    assert "第三题" in page  # the earlier conversation is on the new teacher's page
    old = client.get(reverse("tutoring:transcript", args=[tutoring_session.pk]))
    assert old.status_code == 200


def test_a_teacher_not_on_duty_cannot_be_chosen(client, teacher, school_a, tutoring_session):
    from eschool.accounts.models import Teacher

    idle = make_user("T0003", "王老师", Role.TEACHER, school=school_a)
    Teacher.objects.create(user=idle, school=school_a)
    client.force_login(teacher)
    client.post(reverse("tutoring:room_transfer", args=[tutoring_session.pk]), {"teacher": idle.pk})
    assert not TutoringSession.objects.filter(transferred_from=tutoring_session).exists()
    tutoring_session.refresh_from_db()
    assert tutoring_session.ended_at is None


def test_the_question_photo_is_the_whiteboard_background(
    client, student, tutoring_session, media_root
):
    import json

    from django.core.files.base import ContentFile

    from eschool.tutoring.models import QuestionPhoto

    photo = QuestionPhoto.objects.create(
        question=tutoring_session.question, image=ContentFile(_png(), "q.png"), width=40, height=30
    )
    client.force_login(student)
    response = client.get(reverse("tutoring:room", args=[tutoring_session.pk]))
    config = json.loads(
        response.content.decode()
        .split('<script id="room-config" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert config["background"] == reverse("tutoring:question_photo", args=[photo.pk])
    assert config["ws"] == f"/ws/tutoring/{tutoring_session.pk}/"
    assert (config["role"], config["ended"]) == ("student", False)


def _room_config(response) -> dict:
    import json

    return json.loads(
        response.content.decode()
        .split('<script id="room-config" type="application/json">')[1]
        .split("</script>")[0]
    )


def test_the_room_has_no_ice_servers_unless_the_district_sets_them(
    client, settings, student, tutoring_session
):
    client.force_login(student)
    url = reverse("tutoring:room", args=[tutoring_session.pk])
    assert _room_config(client.get(url))["iceServers"] == []
    turn = [
        {"urls": "stun:turn.school.example.cn:3478"},
        {
            "urls": ["turn:turn.school.example.cn:3478?transport=udp"],
            "username": "eschool",
            "credential": "secret",
        },
    ]
    settings.ESCHOOL_ICE_SERVERS = turn
    assert _room_config(client.get(url))["iceServers"] == turn


def test_the_ice_servers_setting_is_read_from_json_and_checked():
    import os
    import subprocess
    import sys

    def load(value):
        env = {**os.environ, "ESCHOOL_ICE_SERVERS": value}
        code = "import config.settings as s; print(s.ESCHOOL_ICE_SERVERS)"
        return subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )

    read = load('[{"urls": "stun:stun.school.example.cn:3478"}]')
    assert read.stdout.strip() == "[{'urls': 'stun:stun.school.example.cn:3478'}]"
    refused = load('{"urls": "stun:x"}')
    assert refused.returncode == 1 and "must be a JSON list" in refused.stderr


@pytest.mark.parametrize("count", [2, 30])
def test_the_transcript_takes_the_same_queries_however_long_the_talk(
    client, parent, student, tutoring_session, count, django_assert_num_queries
):
    for n in range(count):
        RoomMessage.objects.create(
            session=tutoring_session,
            seq=n + 1,
            author=student,
            client_id=f"m-{n}",
            kind=Kind.TEXT,
            body={"text": f"第{n}条"},
            created_at=tutoring_session.started_at,
        )
    client.force_login(parent)
    with django_assert_num_queries(QUERIES_FOR_TRANSCRIPT):
        response = client.get(reverse("tutoring:transcript", args=[tutoring_session.pk]))
    assert response.content.decode().count('class="text"') == count


# Login session and user (2), the tutoring session, the guardianship, the question, its
# photos, the messages with their authors, the notification badge (base.html), the question's
# subject and grade (2).
QUERIES_FOR_TRANSCRIPT = 10


def test_a_refused_message_is_prefixed_in_the_readers_own_words(client, student, tutoring_session):
    from pathlib import Path

    from django.conf import settings as django_settings

    client.cookies["django_language"] = "en"
    client.force_login(student)
    config = _room_config(client.get(reverse("tutoring:room", args=[tutoring_session.pk])))
    assert config["strings"]["not_sent_because"] == "Not sent: %(reason)s"
    # The script uses the whole translated sentence, never a colon of its own.
    script = (Path(django_settings.BASE_DIR) / "static/js/tutoring-room.js").read_text()
    assert 'S.not_sent_because.replace("%(reason)s", reason)' in script
    assert '": "' not in script
