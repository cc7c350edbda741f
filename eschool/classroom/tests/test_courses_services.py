"""Courses, sessions of courses, speakers and materials are written by district administrators only."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from eschool.classroom.models import Course, Kind, Material, Session, Speaker
from eschool.classroom.services import courses as course_services
from eschool.core.testing import NOT_DISTRICT_ADMINS
from eschool.core.tests.test_uploads import PDF_BYTES, png_bytes
from eschool.org.models import Grade, Stage, Subject

from .conftest import TODAY, TOMORROW, shanghai
from .courses_helpers import (
    add_episode,
    add_material,
    cover_upload,
    files_under,
    lecture_series,
    use_tmp_storage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roots(settings, tmp_path):
    return use_tmp_storage(settings, tmp_path)


def test_a_district_admin_creates_a_lecture_series_with_a_bounded_cover(district_admin, roots):
    media, private = roots

    course = lecture_series(district_admin, cover=cover_upload(size=(3200, 1600)))

    course.refresh_from_db()
    assert (course.kind, course.title, course.description) == (
        "lecture",
        "中考数学专题",
        "函数与几何综合",
    )
    assert (course.subject.name, course.stage) == ("数学", "junior")
    assert [g.name for g in course.grades.all()] == ["九年级"]
    assert [str(s) for s in course.speakers.all()] == ["李明"]
    assert course.cover.name.startswith("covers/") and course.cover.name.endswith(".jpg")
    assert "封面" not in course.cover.name  # stored under a random name
    with Image.open(media / course.cover.name) as cover:
        assert (cover.format, cover.size) == ("JPEG", (1600, 800))
    assert files_under(private) == []


@pytest.mark.parametrize("persona", NOT_DISTRICT_ADMINS)
def test_only_district_admins_create_courses(request, persona):
    actor = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        course_services.course_create(actor=actor, kind=Kind.CLASS, title="分数")

    assert Course.objects.count() == 0


def test_a_cover_that_is_not_a_picture_is_refused_and_nothing_is_saved(district_admin, roots):
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        lecture_series(district_admin, cover=SimpleUploadedFile("封面.png", b"just text"))

    assert raised.value.message_dict == {
        "cover": ["This file is not a picture (PNG, JPEG, GIF or WebP), whatever its name says."]
    }
    assert Course.objects.count() == 0
    assert files_under(roots[0]) == []


def test_grades_must_be_of_the_stage(district_admin):
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        course_services.course_create(
            actor=district_admin,
            kind=Kind.PARENTING,
            title="睡前故事",
            stage=Stage.KINDERGARTEN,
            grades=[Grade.objects.get(level=7)],
        )

    assert raised.value.message_dict == {"grades": ["Not grades of the chosen stage: Grade 7."]}


def test_updating_a_course_replaces_its_cover_and_removes_the_old_file(
    district_admin, roots, django_capture_on_commit_callbacks
):
    media, _private = roots
    course = lecture_series(district_admin, cover=cover_upload())
    old_cover = course.cover.name

    with django_capture_on_commit_callbacks(execute=True):
        course_services.course_update(
            actor=district_admin,
            course=course,
            kind=Kind.LECTURE,
            title="中考数学专题（第二季）",
            description="",
            subject=None,
            stage=Stage.JUNIOR,
            grades=[],
            speakers=[],
            cover=SimpleUploadedFile("new.png", png_bytes(size=(100, 50))),
        )

    course.refresh_from_db()
    assert course.title == "中考数学专题（第二季）"
    assert course.speakers.count() == 0
    assert files_under(media) == [course.cover.name]
    assert course.cover.name != old_cover

    with django_capture_on_commit_callbacks(execute=True):
        course_services.course_update(
            actor=district_admin,
            course=course,
            kind=Kind.LECTURE,
            title="中考数学专题",
            description="",
            subject=None,
            stage="",
            grades=[],
            speakers=[],
            remove_cover=True,
        )
    course.refresh_from_db()
    assert course.cover.name == ""
    assert files_under(media) == []


def test_a_session_of_a_series_takes_the_course_kind_stage_grades_and_subject(district_admin):
    course = lecture_series(district_admin)

    session = add_episode(district_admin, course, title="第一讲 二次函数", capacity=300)

    session.refresh_from_db()
    assert session.course == course
    assert (session.kind, session.stage, session.subject.name) == ("lecture", "junior", "数学")
    assert [g.name for g in session.grades.all()] == ["九年级"]
    assert session.title == "第一讲 二次函数"
    assert (session.capacity, session.open_to_public) == (300, True)
    assert session.day == TODAY
    assert session.starts_at == shanghai(TODAY, "19:00")


def test_a_class_course_session_is_for_the_district_unless_opened(district_admin, teacher):
    course = course_services.course_create(
        actor=district_admin,
        kind=Kind.CLASS,
        title="分数的加减",
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
        subject=Subject.objects.get(name="数学"),
    )

    closed = add_episode(district_admin, course, teacher=teacher.teacher)
    opened = add_episode(district_admin, course, day=TOMORROW, open_to_public=True)

    assert (closed.title, closed.capacity, closed.open_to_public) == ("分数的加减", None, False)
    assert closed.teacher.user == teacher
    assert opened.open_to_public is True


def test_a_district_event_has_no_capacity(district_admin):
    event = course_services.course_create(
        actor=district_admin, kind=Kind.EVENT, title="升旗仪式", stage=Stage.JUNIOR
    )

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        add_episode(district_admin, event, capacity=100, grades=[Grade.objects.get(level=7)])

    assert raised.value.message_dict == {
        "capacity": ["A district event is for everyone: leave the seats empty."]
    }
    session = add_episode(
        district_admin, event, start="08:00", end="08:20", grades=Grade.objects.filter(level=7)
    )
    assert (session.kind, session.capacity, session.open_to_public) == ("event", None, True)
    assert Session.objects.count() == 1


def test_a_session_needs_a_stage_when_the_series_has_none(district_admin):
    course = lecture_series(district_admin, stage="", grades=[])

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        add_episode(district_admin, course)

    # A lecture may be for a whole stage, but it needs the stage.
    assert raised.value.message_dict == {"stage": ["Choose a stage."]}
    assert Session.objects.count() == 0


@pytest.mark.parametrize("persona", NOT_DISTRICT_ADMINS)
def test_only_district_admins_add_sessions_speakers_and_materials(request, district_admin, persona):
    actor = request.getfixturevalue(persona)
    course = lecture_series(district_admin)

    with pytest.raises(PermissionDenied):
        add_episode(actor, course)
    with pytest.raises(PermissionDenied):
        course_services.speaker_create(actor=actor, name="王教授")
    with pytest.raises(PermissionDenied):
        add_material(actor, course)

    assert (Session.objects.count(), Speaker.objects.count(), Material.objects.count()) == (0, 1, 0)


def test_a_speaker_photo_is_bounded(district_admin, roots):
    speaker = course_services.speaker_create(
        actor=district_admin,
        name="王芳",
        title="特级教师",
        institution="南京市第一中学",
        bio="从教三十年",
        photo=SimpleUploadedFile("me.jpg", png_bytes(size=(1200, 1200))),
    )

    speaker.refresh_from_db()
    assert (speaker.name, speaker.title, speaker.institution, speaker.bio) == (
        "王芳",
        "特级教师",
        "南京市第一中学",
        "从教三十年",
    )
    with Image.open(roots[0] / speaker.photo.name) as photo:
        assert photo.size == (600, 600)


def test_a_material_is_typed_by_content_and_kept_out_of_the_media_folder(district_admin, roots):
    media, private = roots
    course = lecture_series(district_admin)

    material = add_material(district_admin, course, title="二次函数讲义", name="讲义.PDF")

    material.refresh_from_db()
    assert (material.title, material.content_type, material.size) == (
        "二次函数讲义",
        "application/pdf",
        len(PDF_BYTES),
    )
    assert material.file.name.startswith("materials/2026/12/")
    assert material.file.name.endswith(".pdf")
    assert files_under(media) == []
    assert files_under(private) == [material.file.name]
    assert (private / material.file.name).read_bytes() == PDF_BYTES


def test_a_png_renamed_pdf_is_refused_as_a_material(district_admin, roots):
    course = lecture_series(district_admin)

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        add_material(district_admin, course, name="试卷.pdf", content=png_bytes())

    assert raised.value.message_dict == {
        "file": [
            "The name of this file ends in .pdf, but its content is a PNG file. "
            "Rename it or choose the right file."
        ]
    }
    assert Material.objects.count() == 0
    assert files_under(roots[1]) == []


def test_an_oversized_material_is_refused(district_admin, roots, settings):
    settings.ESCHOOL_MAX_MATERIAL_BYTES = 100
    course = lecture_series(district_admin)

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        add_material(district_admin, course, content=PDF_BYTES)

    assert raised.value.message_dict == {"file": ["The file is too large: at most 100\xa0bytes."]}
    assert Material.objects.count() == 0


def test_deleting_a_material_removes_its_file(
    district_admin, roots, django_capture_on_commit_callbacks
):
    course = lecture_series(district_admin)
    material = add_material(district_admin, course)

    with django_capture_on_commit_callbacks(execute=True):
        course_services.material_delete(actor=district_admin, material=material)

    assert Material.objects.count() == 0
    assert files_under(roots[1]) == []


def test_an_uploaded_cover_is_read_from_its_bytes(district_admin, roots):
    # A JPEG named .png is still a picture: covers are re-encoded anyway.
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="JPEG")
    course = lecture_series(district_admin, cover=SimpleUploadedFile("x.png", out.getvalue()))

    assert course.cover.name.endswith(".jpg")


def test_a_lecture_episode_may_be_for_the_whole_stage(clock, district_admin):
    course = course_services.course_create(
        actor=district_admin,
        kind=Kind.LECTURE,
        title="名师讲坛",
        stage=Stage.JUNIOR,
        grades=[],
    )

    session = course_services.course_session_add(
        actor=district_admin,
        course=course,
        starts_at=shanghai(TODAY, "19:00"),
        ends_at=shanghai(TODAY, "20:00"),
    )

    assert list(session.grades.all()) == []
    assert (session.kind, session.stage) == ("lecture", "junior")
