"""District administrators manage courses, sessions of courses, speakers and materials."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from eschool.classroom.models import Course, Material, Session, Speaker
from eschool.core.testing import NOT_DISTRICT_ADMINS
from eschool.core.tests.test_uploads import PDF_BYTES, huge_png_bytes, png_bytes
from eschool.org.models import Grade, Subject

from .conftest import TOMORROW
from .courses_helpers import add_material, files_under, lecture_series, use_tmp_storage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roots(settings, tmp_path):
    return use_tmp_storage(settings, tmp_path)


@pytest.fixture
def admin_client(client, district_admin):
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"
    return client


def course_data(**changes):
    data = {
        "kind": "lecture",
        "title": "中考数学专题",
        "description": "函数与几何",
        "stage": "junior",
        "grades": [str(Grade.objects.get(level=9).pk)],
        "subject": str(Subject.objects.get(name="数学").pk),
    }
    data.update(changes)
    return data


def test_a_district_admin_adds_a_course_with_a_cover(admin_client, roots):
    response = admin_client.post(
        "/manage/courses/new/",
        course_data(cover=SimpleUploadedFile("cover.png", png_bytes(size=(2000, 1000)))),
    )

    course = Course.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.pk}/"
    assert (course.kind, course.title, course.stage) == ("lecture", "中考数学专题", "junior")
    assert files_under(roots[0]) == [course.cover.name]


def test_a_bad_cover_is_reported_next_to_the_field_and_the_form_keeps_what_was_typed(
    admin_client, roots
):
    response = admin_client.post(
        "/manage/courses/new/",
        course_data(
            title="数学<b>专题</b>", cover=SimpleUploadedFile("cover.png", huge_png_bytes())
        ),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert Course.objects.count() == 0
    assert (
        '<ul class="errorlist" id="id_cover_error"><li>The picture is too large: '
        "at most 40 million pixels.</li></ul>"
    ) in html
    assert 'value="数学&lt;b&gt;专题&lt;/b&gt;"' in html
    assert "函数与几何</textarea>" in html
    assert "choose the file again" in html
    assert files_under(roots[0]) == []


def test_the_forms_are_labelled_and_show_upload_progress(admin_client, district_admin):
    course = lecture_series(district_admin)
    for url in (
        "/manage/courses/new/",
        f"/manage/courses/{course.pk}/materials/",
        "/manage/courses/speakers/new/",
    ):
        html = admin_client.get(url).content.decode()
        assert 'enctype="multipart/form-data"' in html
        assert "<progress" in html
        assert "data-upload-progress=" in html
        assert '<script src="/static/js/upload-progress.js" defer></script>' in html
    html = admin_client.get("/manage/courses/new/").content.decode()
    assert '<label for="id_title">Title:</label>' in html
    assert '<label for="id_cover">Cover image:</label>' in html


def test_a_district_admin_edits_a_course(admin_client, district_admin):
    course = lecture_series(district_admin)

    response = admin_client.post(
        f"/manage/courses/{course.pk}/edit/", course_data(title="中考数学专题（修订）", grades=[])
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "中考数学专题（修订）"
    assert course.grades.count() == 0


def test_a_district_admin_adds_a_session_to_a_course(admin_client, district_admin, teacher):
    course = lecture_series(district_admin)

    response = admin_client.post(
        f"/manage/courses/{course.pk}/sessions/new/",
        {
            "title": "第一讲",
            "date": TOMORROW.isoformat(),
            "start": "19:00",
            "end": "19:45",
            "teacher": "T0001",
            "description": "",
            "capacity": "200",
            "open_to_public": "on",
        },
    )

    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert (session.course, session.kind, session.capacity, session.open_to_public) == (
        course,
        "lecture",
        200,
        True,
    )
    assert session.teacher.user == teacher


def test_a_session_form_error_keeps_what_was_typed(admin_client, district_admin):
    course = lecture_series(district_admin)

    response = admin_client.post(
        f"/manage/courses/{course.pk}/sessions/new/",
        {
            "title": "第一讲",
            "date": TOMORROW.isoformat(),
            "start": "19:00",
            "end": "18:00",
            "capacity": "0",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert Session.objects.count() == 0
    assert "The end must be after the start." in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert 'value="第一讲"' in html


def test_the_session_form_refuses_seats_for_a_district_event(admin_client, district_admin):
    from eschool.classroom.services.courses import course_create

    event = course_create(actor=district_admin, kind="event", title="升旗仪式", stage="junior")

    response = admin_client.post(
        f"/manage/courses/{event.pk}/sessions/new/",
        {
            "title": "升旗仪式",
            "date": TOMORROW.isoformat(),
            "start": "08:00",
            "end": "08:20",
            "capacity": "500",
        },
    )

    assert response.status_code == 200
    assert "A district event is for everyone: leave the seats empty." in response.content.decode()
    assert Session.objects.count() == 0


def test_a_district_admin_uploads_and_deletes_a_material(admin_client, district_admin, roots):
    course = lecture_series(district_admin)

    response = admin_client.post(
        f"/manage/courses/{course.pk}/materials/",
        {"title": "讲义", "file": SimpleUploadedFile("讲义.pdf", PDF_BYTES)},
    )

    material = Material.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/manage/courses/{course.pk}/materials/"
    assert files_under(roots[1]) == [material.file.name]

    response = admin_client.post(f"/manage/courses/materials/{material.pk}/delete/")

    assert response.status_code == 302
    assert Material.objects.count() == 0


def test_a_png_renamed_pdf_is_refused_on_the_materials_page(admin_client, district_admin, roots):
    course = lecture_series(district_admin)

    response = admin_client.post(
        f"/manage/courses/{course.pk}/materials/",
        {"title": "试卷", "file": SimpleUploadedFile("试卷.pdf", png_bytes())},
    )

    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_file_error"><li>The name of this file ends in .pdf, but its '
        "content is a PNG file. Rename it or choose the right file.</li></ul>"
    ) in response.content.decode()
    assert Material.objects.count() == 0
    assert files_under(roots[1]) == []


def test_a_district_admin_adds_a_speaker_with_a_photo(admin_client, roots):
    response = admin_client.post(
        "/manage/courses/speakers/new/",
        {
            "name": "李明",
            "title": "教授",
            "institution": "南京大学",
            "bio": "数学系",
            "photo": SimpleUploadedFile("li.jpg", png_bytes(size=(800, 800))),
        },
    )

    speaker = Speaker.objects.get()
    assert response.status_code == 302
    assert (speaker.name, speaker.title, speaker.institution) == ("李明", "教授", "南京大学")
    assert speaker.photo.name.startswith("speakers/")


@pytest.mark.parametrize("persona", NOT_DISTRICT_ADMINS)
def test_others_may_not_manage(request, client, district_admin, persona):
    course = lecture_series(district_admin)
    material = add_material(district_admin, course)
    client.force_login(request.getfixturevalue(persona))

    for url in (
        "/manage/courses/",
        "/manage/courses/new/",
        f"/manage/courses/{course.pk}/edit/",
        f"/manage/courses/{course.pk}/sessions/new/",
        f"/manage/courses/{course.pk}/materials/",
        "/manage/courses/speakers/",
        "/manage/courses/speakers/new/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/manage/courses/new/", course_data(title="x")).status_code == 403
    assert client.post(f"/manage/courses/materials/{material.pk}/delete/").status_code == 403
    assert (Course.objects.count(), Material.objects.count()) == (1, 1)


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/manage/courses/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/manage/courses/"
