"""Who may download a course's materials: everyone else gets 404 and no bytes."""

from urllib.parse import quote

import pytest
from django.db import connection

from eschool.classroom.models import Booking
from eschool.classroom.services import courses as course_services
from eschool.core.tests.test_uploads import PDF_BYTES
from eschool.org.models import Grade, Stage

from .booking_helpers import make_student
from .conftest import TODAY, shanghai
from .courses_helpers import add_episode, add_material, book, lecture_series, use_tmp_storage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roots(settings, tmp_path):
    return use_tmp_storage(settings, tmp_path)


@pytest.fixture
def class_course(district_admin, teacher):
    """A district class (not open to outside learners) at 19:00 today, taught by the teacher."""
    course = course_services.course_create(
        actor=district_admin,
        kind="class",
        title="分数的加减",
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
    )
    session = add_episode(district_admin, course, teacher=teacher.teacher, capacity=40)
    material = add_material(district_admin, course, title="分数 讲义", name="fractions.pdf")
    return course, session, material


def download(client, user, material):
    if user is not None:
        client.force_login(user)
    return client.get(f"/materials/{material.pk}/")


def test_a_district_admin_downloads_a_material_as_an_attachment(
    client, clock, district_admin, class_course
):
    _course, _session, material = class_course

    response = download(client, district_admin, material)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="material-{material.pk}.pdf"; '
        f"filename*=UTF-8''{quote('分数 讲义.pdf', safe='')}"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_download_gives_its_database_connection_back_before_streaming(
    client, clock, district_admin, class_course
):
    response = download(client, district_admin, class_course[2])

    # Closed before the first byte goes out: a slow phone does not hold it.
    assert connection.connection is None
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_the_teacher_of_a_session_of_the_course_downloads(client, clock, teacher, class_course):
    assert download(client, teacher, class_course[2]).status_code == 200


def test_a_learner_with_a_confirmed_booking_downloads(client, clock, student, class_course):
    _course, session, material = class_course
    book(student, session)

    assert download(client, student, material).status_code == 200


@pytest.mark.parametrize("status", [Booking.Status.WAITLISTED, Booking.Status.CANCELLED])
def test_a_waitlisted_or_cancelled_booking_is_not_enough(
    client, clock, student, class_course, status
):
    _course, session, material = class_course
    book(student, session, status=status)

    assert download(client, student, material).status_code == 404


@pytest.fixture
def eighth_grader(school_a):
    return make_student("00801", "赵六", school=school_a, grade_level=8)


@pytest.mark.parametrize("persona", ["student", "stranger"])
def test_students_of_the_sessions_grade_download_once_it_has_ended(
    request, client, clock, class_course, persona
):
    _course, _session, material = class_course
    user = request.getfixturevalue(persona)  # 七年级, of either school, without a booking
    clock.set(shanghai(TODAY, "19:44"))
    assert download(client, user, material).status_code == 404

    clock.set(shanghai(TODAY, "19:45"))  # the session has ended
    response = download(client, user, material)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


@pytest.mark.parametrize("persona", ["school_admin", "parent", "outside_learner", "eighth_grader"])
def test_others_get_not_found_before_and_after_a_district_session(
    request, client, clock, class_course, persona
):
    _course, session, material = class_course
    user = request.getfixturevalue(persona)
    assert download(client, user, material).status_code == 404

    clock.set(shanghai(TODAY, "21:00"))  # ended; not for their grade, not open to the public
    response = download(client, user, material)

    assert response.status_code == 404
    assert b"%PDF" not in response.content


def test_a_cancelled_session_opens_nothing_to_its_grade(
    client, clock, district_admin, student, class_course
):
    _course, session, material = class_course
    from eschool.classroom.services import session_cancel

    session_cancel(actor=district_admin, session=session, reason="停电")
    clock.set(shanghai(TODAY, "21:00"))

    assert download(client, student, material).status_code == 404


@pytest.fixture
def parenting_course(district_admin):
    """A parenting course for 小班, its session at 20:00–20:30 today."""
    course = course_services.course_create(
        actor=district_admin,
        kind="parenting",
        title="如何陪孩子读绘本",
        stage=Stage.KINDERGARTEN,
        grades=[Grade.objects.get(level=-2)],
    )
    add_episode(district_admin, course, start="20:00", end="20:30")
    return add_material(district_admin, course, title="绘本书单")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("parent", 200), ("student", 404), ("teacher", 404), ("outside_learner", 404)],
)
def test_parents_download_a_parenting_courses_materials_once_it_has_ended(
    request, client, clock, parenting_course, persona, status
):
    user = request.getfixturevalue(persona)
    assert download(client, user, parenting_course).status_code == 404

    clock.set(shanghai(TODAY, "20:30"))

    assert download(client, user, parenting_course).status_code == status


def test_a_booking_of_another_courses_session_is_not_enough(
    client, clock, district_admin, student, class_course
):
    other = lecture_series(district_admin)
    book(student, add_episode(district_admin, other, start="20:00", end="20:30"))

    assert download(client, student, class_course[2]).status_code == 404


def test_anyone_logged_in_downloads_once_a_public_session_has_ended(
    client, clock, district_admin, outside_learner, stranger
):
    course = lecture_series(district_admin)  # lecture episodes are open to outside learners
    add_episode(district_admin, course, start="19:00", end="19:45")
    material = add_material(district_admin, course)

    clock.set(shanghai(TODAY, "19:44"))
    assert download(client, outside_learner, material).status_code == 404
    clock.set(shanghai(TODAY, "19:45"))
    # The series is for 九年级: these two are not of its grade, but it was open to all.
    assert download(client, outside_learner, material).status_code == 200
    assert download(client, stranger, material).status_code == 200


def test_a_cancelled_public_session_does_not_open_the_materials(
    client, clock, district_admin, stranger
):
    course = lecture_series(district_admin)
    session = add_episode(district_admin, course, start="08:00", end="08:45")
    from eschool.classroom.services import session_cancel

    session_cancel(actor=district_admin, session=session, reason="停电")
    material = add_material(district_admin, course)

    assert download(client, stranger, material).status_code == 404


def test_a_visitor_is_asked_to_log_in(client, clock, class_course):
    material = class_course[2]

    response = download(client, None, material)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/materials/{material.pk}/"


def test_an_unknown_material_is_not_found(client, clock, district_admin):
    assert client.get("/materials/999/").status_code == 404
    client.force_login(district_admin)
    assert client.get("/materials/999/").status_code == 404


def test_a_material_whose_file_is_gone_is_not_found(
    client, clock, district_admin, class_course, roots
):
    material = class_course[2]
    (roots[1] / material.file.name).unlink()

    assert download(client, district_admin, material).status_code == 404


def test_materials_are_not_under_the_public_media_url(client, clock, district_admin, class_course):
    material = class_course[2]

    assert client.get(f"/media/{material.file.name}").status_code == 404
