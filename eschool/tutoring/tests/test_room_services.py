"""Room services: numbering under concurrency, stored once per client id, filtering, ending."""

import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from eschool.core import timeutil
from eschool.org.models import Grade, Subject
from eschool.tutoring import room
from eschool.tutoring.models import Question, RoomMessage, TutoringSession

Kind = RoomMessage.Kind


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"
    return settings.ESCHOOL_PRIVATE_ROOT


def make_session(student, teacher) -> TutoringSession:
    """A session in progress on the student's maths question (used by the other room tests)."""
    question = Question.objects.create(
        asker=student,
        subject=Subject.objects.get(name="数学"),
        grade=Grade.objects.get(level=7),
        text="这道方程怎么解？",
        status=Question.Status.IN_SESSION,
        created_at=timeutil.now(),
    )
    return TutoringSession.objects.create(
        question=question, teacher=teacher.teacher, student=student, started_at=timeutil.now()
    )


@pytest.fixture
def tutoring_session(student, teacher):
    return make_session(student, teacher)


def say(session, author, text, client_id=None):
    return room.append_message(
        session=session, author=author, kind=Kind.TEXT, body={"text": text}, client_id=client_id
    )


def test_messages_are_numbered_one_two_three_in_the_order_they_are_stored(
    tutoring_session, student, teacher
):
    first = say(tutoring_session, student, "老师好", "a")
    second = say(tutoring_session, teacher, "你好", "b")
    third = say(tutoring_session, student, "第二题", "c")
    assert [first.message.seq, second.message.seq, third.message.seq] == [1, 2, 3]
    assert [m.body["text"] for m in room.messages_after(tutoring_session, 1)] == ["你好", "第二题"]


def test_a_message_sent_again_with_its_client_id_is_stored_once(tutoring_session, student):
    first = say(tutoring_session, student, "老师好", "c-1")
    again = say(tutoring_session, student, "老师好", "c-1")
    assert first.created and not again.created
    assert again.message.pk == first.message.pk and again.message.seq == 1
    assert RoomMessage.objects.filter(session=tutoring_session).count() == 1


def test_the_same_client_id_from_the_other_side_is_another_message(
    tutoring_session, student, teacher
):
    say(tutoring_session, student, "老师好", "same")
    other = say(tutoring_session, teacher, "你好", "same")
    assert other.created and other.message.seq == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_senders_get_distinct_numbers_without_gaps(tutoring_session, student, teacher):
    # Eight threads, each with its own database connection, post at once (SQLite file
    # database and PostgreSQL alike); the barrier lines them up at the same moment.
    senders = [student, teacher] * 4
    barrier = threading.Barrier(len(senders))
    seqs, errors = [], []

    def send(index, author):
        try:
            barrier.wait()
            for n in range(5):
                seqs.append(
                    say(tutoring_session, author, f"{index}-{n}", f"{index}-{n}").message.seq
                )
        except Exception as error:  # reported below, never swallowed
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, a)) for i, a in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(seqs) == list(range(1, 41))
    stored = list(
        RoomMessage.objects.filter(session=tutoring_session).values_list("seq", flat=True)
    )
    assert stored == list(range(1, 41))


def test_contact_details_are_masked_in_chat(tutoring_session, teacher):
    stored = say(tutoring_session, teacher, "有问题加我微信 chen_2024 或打13912345678").message
    assert stored.body["text"] == "有问题加我微信 ＊＊＊＊＊＊＊＊＊ 或打＊＊＊＊＊＊＊＊＊＊＊"


def test_the_districts_sensitive_words_are_filtered_in_chat(
    tutoring_session, student, teacher, district_admin
):
    from eschool.safety.services import word_add, word_remove

    word = word_add(actor=district_admin, word="笨蛋")
    # However it is written: with a symbol or a space (a full-width one too) inside.
    stored = say(
        tutoring_session, teacher, "这题不难，别说自己笨蛋，也别写 笨-蛋 或 笨　蛋"
    ).message
    assert stored.body["text"] == "这题不难，别说自己＊＊，也别写 ＊＊＊ 或 ＊＊＊"
    assert room.transcript(tutoring_session)["messages"][0]["body"]["text"] == stored.body["text"]
    # A word taken off the list is shown again in what is said next.
    word_remove(actor=district_admin, word_id=word.pk)
    assert say(tutoring_session, student, "我不笨蛋").message.body["text"] == "我不笨蛋"


def test_html_is_stored_as_typed(tutoring_session, student):
    text = '<script>alert("x")</script><b>粗</b>'
    assert say(tutoring_session, student, text).message.body["text"] == text


def test_a_message_over_the_limit_is_refused_and_nothing_is_stored(tutoring_session, student):
    with pytest.raises(ValidationError) as refused:
        say(tutoring_session, student, "字" * (room.TEXT_LIMIT + 1))
    assert refused.value.code == "too_long"
    assert not RoomMessage.objects.exists()


def test_a_flood_of_messages_is_refused_with_a_notice(tutoring_session, student):
    limit = room.TEXT_RATE[0]
    for n in range(limit):
        say(tutoring_session, student, f"第{n}条")
    with pytest.raises(ValidationError) as refused:
        say(tutoring_session, student, "再来一条")
    assert refused.value.code == "rate_limited"
    assert RoomMessage.objects.count() == limit


def test_strokes_keep_only_what_a_board_draws(tutoring_session, student):
    stored = room.append_message(
        session=tutoring_session,
        author=student,
        kind=Kind.STROKE,
        client_id="s1",
        body={
            "id": "s1",
            "color": "#1E7B34",
            "width": 0.006,
            "points": [[0.1, 0.2], [0.123456, 0.5]],
            "onclick": "alert(1)",
        },
    ).message
    assert stored.body == {
        "id": "s1",
        "color": "#1e7b34",
        "width": 0.006,
        "erase": False,
        "points": [[0.1, 0.2], [0.1235, 0.5]],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"id": "s", "points": [[1.5, 0.2]]},
        {"id": "s", "points": []},
        {"id": "s", "color": "red;", "points": [[0.1, 0.1]]},
        {"points": [[0.1, 0.1]]},
        {"id": "s", "points": "0.1,0.1"},
    ],
)
def test_a_stroke_off_the_board_or_malformed_is_refused(tutoring_session, student, body):
    with pytest.raises(ValidationError):
        room.append_message(session=tutoring_session, author=student, kind=Kind.STROKE, body=body)
    assert not RoomMessage.objects.exists()


def test_nothing_may_be_said_after_the_end_but_the_end_is_noted(tutoring_session, student):
    room.room_end(actor=student, session=tutoring_session)
    tutoring_session.refresh_from_db()
    assert tutoring_session.ended_at is not None and tutoring_session.ended_by == student
    notice = RoomMessage.objects.get(session=tutoring_session)
    assert (notice.kind, notice.body, notice.author) == (
        "system",
        {"event": "ended", "by": "student"},
        None,
    )
    with pytest.raises(room.RoomClosed):
        say(tutoring_session, student, "还在吗")
    # Ending again changes nothing.
    room.room_end(actor=student, session=tutoring_session)
    assert RoomMessage.objects.filter(session=tutoring_session).count() == 1


def test_the_final_board_in_the_transcript_applies_undo_and_clear(
    tutoring_session, student, teacher
):
    def stroke(author, stroke_id):
        room.append_message(
            session=tutoring_session,
            author=author,
            kind=Kind.STROKE,
            client_id=stroke_id,
            body={"id": stroke_id, "points": [[0.1, 0.1], [0.2, 0.2]]},
        )

    stroke(student, "a")
    room.append_message(session=tutoring_session, author=teacher, kind=Kind.CLEAR, client_id="c")
    stroke(teacher, "b")
    stroke(student, "c")
    stroke(student, "b")  # the same stroke id from the other side is another stroke
    room.append_message(
        session=tutoring_session, author=student, kind=Kind.UNDO, body={"stroke": "c"}
    )
    board = room.transcript(tutoring_session)["board"]
    assert [entry["key"] for entry in board] == ["teacher:b", "student:b"]


def _jpeg_with_location() -> bytes:
    """A photo as a phone takes it: camera maker and GPS position in its EXIF."""
    image = Image.new("RGB", (2400, 1200), "white")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera maker
    gps = exif.get_ifd(0x8825)  # where the photo was taken
    gps[1], gps[2] = "N", (32.0, 3.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    with Image.open(io.BytesIO(out.getvalue())) as check:
        assert check.getexif().get_ifd(0x8825)[1] == "N"
    return out.getvalue()


def test_a_photo_is_stored_smaller_and_without_its_camera_data(
    tutoring_session, student, media_root
):
    upload = SimpleUploadedFile("IMG_0001.jpg", _jpeg_with_location(), content_type="image/jpeg")
    message = room.room_photo_post(
        session=tutoring_session, author=student, upload=upload, client_id="p1"
    ).message
    assert (message.kind, message.seq, message.body) == ("photo", 1, {"width": 1600, "height": 800})
    with message.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (1600, 800)
        assert dict(image.getexif()) == {}


def test_a_renamed_svg_is_refused_as_a_photo(tutoring_session, student, media_root):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    upload = SimpleUploadedFile("homework.jpg", svg, content_type="image/jpeg")
    with pytest.raises(ValidationError) as refused:
        room.room_photo_post(session=tutoring_session, author=student, upload=upload)
    assert refused.value.code == "wrong_type"
    assert not RoomMessage.objects.exists()
