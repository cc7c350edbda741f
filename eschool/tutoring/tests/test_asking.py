"""Asking: who may ask, photos, queueing before the shift, one open question, written answers."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation
from PIL import Image

from eschool.homeschool.models import Notification
from eschool.org.models import Grade, Subject
from eschool.tutoring.models import Question, QuestionPhoto
from eschool.tutoring.selectors import (
    estimate_wait,
    queue_place,
    tutoring_settings,
    wait_info,
)
from eschool.tutoring.services import asking, matching

from .conftest import MONDAY, TUESDAY, make_asker, make_teacher, maths, on_duty, photo_upload

pytestmark = pytest.mark.django_db

GPS_TAG = 0x8825


def ask(user, *, photos=(), mode=asking.Mode.LIVE, text="这道题怎么做？"):
    return asking.question_ask(
        asker=user,
        subject=maths(),
        grade=Grade.objects.get(level=7),
        text=text,
        photos=photos,
        mode=mode,
    )


def test_a_student_asks_and_waits_when_no_teacher_is_online(clock, student):
    question = ask(student)
    assert (question.status, question.waiting_since) == ("waiting", clock_now())
    info = wait_info(question)
    assert (info.place, info.teachers, info.estimate) == (1, 0, None)


def clock_now():
    from eschool.core import timeutil

    return timeutil.now()


def test_parents_teachers_and_admins_do_not_ask(clock, parent, teacher, district_admin):
    for user in (parent, teacher, district_admin):
        with pytest.raises(PermissionDenied):
            ask(user)
    assert Question.objects.count() == 0


def test_outside_learners_ask_only_when_the_district_allows(clock, outside_learner):
    with pytest.raises(PermissionDenied):
        ask(outside_learner)
    row = tutoring_settings()
    row.outside_learners_allowed = True
    row.save()
    assert ask(outside_learner).status == "waiting"


def test_one_open_question_per_student(clock, student):
    ask(student)
    with pytest.raises(ValidationError) as refused:
        ask(student)
    assert refused.value.code == "one_open"
    # The database itself refuses a second open question.
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(
            asker=student,
            subject=maths(),
            grade=Grade.objects.get(level=7),
            text="x",
            status="queued",
            created_at=clock_now(),
        )
    assert Question.objects.filter(asker=student).count() == 1


def test_a_withdrawn_or_written_question_allows_a_new_one(clock, student):
    first = ask(student)
    asking.question_leave_written(actor=student, question=first)
    second = ask(student)
    asking.question_withdraw(actor=student, question=second)
    assert ask(student).status == "waiting"
    assert sorted(Question.objects.values_list("status", flat=True)) == [
        "waiting",
        "withdrawn",
        "written",
    ]


def test_a_question_before_1930_is_queued_and_opens_with_the_shift(clock, student, school_a):
    clock.at("18:50")
    question = ask(student)
    assert question.status == "queued"
    assert question.waiting_since == clock.at("19:30") - dt.timedelta(0)
    clock.at("19:29")
    assert asking.queue_open() == 0
    teacher = make_teacher("T6001", "周老师", school=school_a)
    on_duty(teacher, online_at=clock.at("19:25"))
    clock.at("19:30")
    assert asking.queue_open() == 1
    question.refresh_from_db()
    assert (question.status, question.offered_to) == ("offered", teacher.teacher)


def test_a_queued_question_opens_when_the_window_is_moved_earlier(clock, student, school_a):
    clock.at("17:00")
    question = ask(student)
    assert (question.status, question.waiting_since) == ("queued", clock.at("19:30"))
    row = tutoring_settings()
    row.window_start, row.window_end = dt.time(17, 30), dt.time(18, 30)
    row.save(update_fields=["window_start", "window_end"])
    opened_at = clock.at("17:40")
    assert asking.queue_open() == 1
    question.refresh_from_db()
    # It waits from when it opened, not from the 19:30 it was queued for.
    assert (question.status, question.waiting_since) == ("waiting", opened_at)


def test_a_queued_question_waits_from_the_start_of_a_window_moved_later(clock, student):
    clock.at("17:00")
    question = ask(student)
    assert question.waiting_since == clock.at("19:30")
    row = tutoring_settings()
    row.window_start = dt.time(20, 0)
    row.save(update_fields=["window_start"])
    clock.at("19:45")
    assert asking.queue_open() == 0
    opens_at = clock.at("20:00")
    clock.advance(seconds=40)  # the tick comes a little after the opening
    assert asking.queue_open() == 1
    question.refresh_from_db()
    assert (question.status, question.waiting_since) == ("waiting", opens_at)


def test_after_the_window_a_live_question_is_refused_but_written_is_fine(clock, student):
    clock.at("21:40")
    with pytest.raises(ValidationError) as refused:
        ask(student)
    assert refused.value.code == "closed"
    assert ask(student, mode=asking.Mode.WRITTEN).status == "written"


def test_subjects_not_served_are_refused(clock, student):
    row = tutoring_settings()
    row.subjects.set(Subject.objects.filter(name="语文"))
    with pytest.raises(ValidationError) as refused:
        ask(student)
    assert "subject" in refused.value.message_dict


def test_edit_while_waiting_but_not_in_session(clock, student, teachers):
    question = ask(student)
    question.refresh_from_db()
    assert question.status == "offered"
    with pytest.raises(ValidationError):
        asking.question_edit(actor=student, question=question, text="改过的")
    asking.question_withdraw(actor=student, question=question)
    assert Question.objects.get(pk=question.pk).status == "withdrawn"
    other = ask(student, text="新的")
    Question.objects.filter(pk=other.pk).update(status="waiting", offered_to=None)
    edited = asking.question_edit(actor=student, question=other, text="  改过的  ")
    assert edited.text == "改过的"


def test_someone_else_cannot_edit_or_withdraw(clock, student, stranger):
    question = ask(student)
    with pytest.raises(PermissionDenied):
        asking.question_edit(actor=stranger, question=question, text="x")
    with pytest.raises(PermissionDenied):
        asking.question_withdraw(actor=stranger, question=question)
    assert Question.objects.get(pk=question.pk).text == "这道题怎么做？"


# Photos --------------------------------------------------------------------------------


def gps_exif():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_TAG] = {1: "N", 2: (32.0, 3.0, 0.0), 3: "E", 4: (118.0, 47.0, 0.0)}
    return exif


def test_photos_are_stored_resized_without_exif(clock, student):
    upload = photo_upload(size=(3000, 2000), exif=gps_exif())
    with Image.open(io.BytesIO(upload.read())) as original:
        assert GPS_TAG in original.getexif()  # the test photo really carries a position
    upload.seek(0)
    question = ask(student, photos=[upload])
    photo = QuestionPhoto.objects.get(question=question)
    assert (photo.width, photo.height) == (1280, 853)
    with photo.image.open("rb") as handle, Image.open(handle) as shown:
        assert shown.size == (1280, 853)
        assert len(shown.getexif()) == 0
    with photo.original.open("rb") as handle, Image.open(handle) as kept:
        assert kept.size == (3000, 2000)
        assert len(kept.getexif()) == 0


def test_more_than_three_photos_are_refused(clock, student):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        ask(student, photos=[photo_upload(f"{n}.jpg") for n in range(4)])
    assert refused.value.message_dict["photos"] == ["Attach at most 3 photos."]
    assert Question.objects.count() == 0


def test_an_svg_renamed_jpg_is_refused(clock, student):
    svg = SimpleUploadedFile(
        "题.jpg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        content_type="image/jpeg",
    )
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        ask(student, photos=[svg])
    assert refused.value.message_dict["photos"] == [
        "Photo 1: This file is not a picture (PNG, JPEG, GIF or WebP), whatever its name says."
    ]
    assert Question.objects.count() == 0


def test_a_picture_over_the_pixel_limit_is_refused(clock, student, settings):
    settings.ESCHOOL_MAX_IMAGE_PIXELS = 1_000_000
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        ask(student, photos=[photo_upload(size=(1200, 1000))])
    assert refused.value.message_dict["photos"] == [
        "Photo 1: The picture is too large: at most 1 million pixels."
    ]
    assert QuestionPhoto.objects.count() == 0


def test_originals_are_deleted_after_the_retention_days(clock, student):
    question = ask(student, photos=[photo_upload()])
    photo = QuestionPhoto.objects.get(question=question)
    path = photo.original.path
    clock.advance(days=29)
    assert asking.photos_purge_originals() == 0
    clock.advance(days=2)
    assert asking.photos_purge_originals() == 1
    photo.refresh_from_db()
    assert (photo.original.name, photo.original_deleted_at) == ("", clock_now())
    import os

    assert not os.path.exists(path)
    assert photo.image.name  # the display copy stays


# Queue and estimate ------------------------------------------------------------------


def test_place_in_queue_counts_earlier_questions_of_the_subject(clock, student, school_a):
    others = [make_asker(f"0080{n}", f"学生{n}", school=school_a) for n in range(3)]
    questions = []
    for user in [*others, student]:
        questions.append(ask(user))
        clock.advance(seconds=10)
    assert [queue_place(q) for q in questions] == [1, 2, 3, 4]


def test_place_in_queue_counts_only_questions_the_same_teachers_could_take(
    clock, student, school_a
):
    # Ahead of the 初中 maths question: one 初中 maths question (grade 8). Not ahead: a 高中
    # maths question and a 初中 Chinese one, asked earlier, which other teachers take.
    for username, level, subject in [
        ("00801", 8, "数学"),
        ("00802", 10, "数学"),
        ("00803", 7, "语文"),
    ]:
        asker = make_asker(username, username, school=school_a, level=level)
        asking.question_ask(
            asker=asker,
            subject=Subject.objects.get(name=subject),
            grade=Grade.objects.get(level=level),
            text="?",
        )
        clock.advance(seconds=10)
    mine = ask(student)
    senior = Question.objects.get(asker__username="00802")
    assert (queue_place(mine), queue_place(senior)) == (2, 1)


def test_estimate_is_the_median_recent_wait_per_round_of_teachers():
    waits = [dt.timedelta(seconds=s) for s in (30, 60, 90, 300)]
    assert estimate_wait(1, waits, 2) == dt.timedelta(seconds=75)
    assert estimate_wait(3, waits, 2) == dt.timedelta(seconds=150)
    assert estimate_wait(5, waits, 0) == dt.timedelta(seconds=375)
    assert estimate_wait(1, [], 3) is None


# Written answers and the end of the evening ---------------------------------------


def test_at_the_end_of_the_window_waiting_questions_become_written(clock, student, school_a):
    waiting = ask(student)
    other = make_asker("00901", "赵六", school=school_a)
    clock.at("21:00")
    ask(other)
    clock.at("21:29")
    assert asking.window_close() == 0
    clock.at("21:30")
    assert asking.window_close() == 2
    assert asking.window_close() == 0
    waiting.refresh_from_db()
    assert waiting.status == "written"
    note = Notification.objects.get(user=student, key=f"tutoring:written:{waiting.pk}")
    with translation.override("en"):
        assert note.shown_title == "Tonight's tutoring has ended"


def test_a_teacher_answers_a_written_question_once(clock, student, teacher, school_a):
    question = ask(student, mode=asking.Mode.WRITTEN)
    answered = asking.question_answer(actor=teacher, question=question, answer="先通分。")
    assert (answered.status, answered.answer, answered.answered_by) == (
        "answered",
        "先通分。",
        teacher.teacher,
    )
    assert Notification.objects.filter(user=student, key=f"tutoring:answered:{question.pk}")
    second = make_teacher("T6002", "另一位", school=school_a)
    with pytest.raises(ValidationError):
        asking.question_answer(actor=second, question=question, answer="别的")
    assert Question.objects.get(pk=question.pk).answer == "先通分。"


def test_a_teacher_of_another_subject_cannot_answer(clock, student, school_a):
    question = ask(student, mode=asking.Mode.WRITTEN)
    chinese = make_teacher("T6003", "语文", school=school_a, subjects=("语文",))
    with pytest.raises(PermissionDenied):
        asking.question_answer(actor=chinese, question=question, answer="x")


def test_keep_waiting_is_remembered(clock, student):
    question = ask(student)
    assert asking.question_keep_waiting(actor=student, question=question).keep_waiting is True


def test_tomorrow_queued_is_not_possible_from_a_saturday_night(clock, student):
    clock.at("22:00", day=dt.date(2026, 12, 12))
    with pytest.raises(ValidationError):
        ask(student)
    assert MONDAY < TUESDAY  # the fixtures' days are in order
    assert matching.dispatch() == 0


# What one side writes to the other: filtered and masked, as in the room ----------------------


def test_questions_and_written_answers_lose_sensitive_words_and_contacts(
    clock, student, teacher, district_admin
):
    from eschool.safety.services import word_add

    word_add(actor=district_admin, word="笨蛋")
    question = ask(student, mode=asking.Mode.WRITTEN, text="笨 蛋题！加我微信 zhang_88 问")
    assert question.text == "＊＊＊题！加我微信 ＊＊＊＊＊＊＊＊ 问"  # the space hid nothing
    edited = asking.question_edit(actor=student, question=question, text="打我电话13912345678")
    assert edited.text == "打我电话＊＊＊＊＊＊＊＊＊＊＊"
    answered = asking.question_answer(
        actor=teacher, question=question, answer="ＢＩＡＮ不是笨蛋。有事打 139-1234-5678"
    )
    assert answered.answer == "ＢＩＡＮ不是＊＊。有事打 ＊＊＊＊＊＊＊＊＊＊＊＊＊"
    stored = Question.objects.get(pk=question.pk)
    assert (stored.text, stored.answer) == (edited.text, answered.answer)
