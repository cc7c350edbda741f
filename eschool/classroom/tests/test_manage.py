import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from eschool.classroom import services
from eschool.classroom.models import Session
from eschool.core.testing import NOT_DISTRICT_ADMINS
from eschool.org.models import Grade, Stage, Subject

from .conftest import TODAY, TOMORROW, shanghai

pytestmark = pytest.mark.django_db


def form_data(**changes):
    data = {
        "title": "分数的加减",
        "date": "2026-12-08",
        "start": "08:00",
        "end": "08:40",
        "kind": "class",
        "stage": "junior",
        "grades": [str(Grade.objects.get(name="七年级").pk)],
        "subject": str(Subject.objects.get(name="数学").pk),
        "teacher": "T0001",
        "description": "带好草稿纸",
    }
    data.update(changes)
    return data


def test_a_district_admin_adds_a_session(client, clock, district_admin, teacher):
    client.force_login(district_admin)

    response = client.post("/manage/sessions/new/", form_data())

    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert session.title == "分数的加减"
    assert session.day == TOMORROW
    assert session.starts_at == dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.UTC)
    assert session.ends_at == dt.datetime(2026, 12, 8, 0, 40, tzinfo=dt.UTC)
    assert session.teacher.user == teacher
    assert [g.name for g in session.grades.all()] == ["七年级"]
    assert session.subject.name == "数学"
    assert session.description == "带好草稿纸"
    assert session.status == Session.Status.SCHEDULED


def test_the_form_is_labelled_and_starts_on_the_chosen_day(client, clock, district_admin):
    client.force_login(district_admin)

    html = client.get("/manage/sessions/new/?date=2026-12-09").content.decode()

    assert 'value="2026-12-09"' in html
    for name in ["title", "date", "start", "end", "kind", "stage", "subject", "teacher"]:
        assert f'<label for="id_{name}">' in html
    assert 'type="checkbox" name="grades"' in html


@pytest.mark.parametrize("persona", NOT_DISTRICT_ADMINS)
def test_others_are_refused(client, clock, personas, persona, make_session):
    session = make_session(title="原来的课")
    client.force_login(personas[persona])

    assert client.get("/manage/sessions/new/").status_code == 403
    assert client.post("/manage/sessions/new/", form_data()).status_code == 403
    assert client.post(f"/manage/sessions/{session.pk}/edit/", form_data()).status_code == 403
    assert client.post(f"/manage/sessions/{session.pk}/cancel/", {"reason": "x"}).status_code == 403
    session.refresh_from_db()
    assert (session.title, session.status) == ("原来的课", Session.Status.SCHEDULED)
    assert Session.objects.count() == 1


def test_visitors_are_sent_to_log_in(client, clock):
    response = client.get("/manage/sessions/new/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/manage/sessions/new/"


def test_an_end_before_the_start_is_shown_next_to_the_end(client, clock, district_admin, teacher):
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"

    response = client.post("/manage/sessions/new/", form_data(title="我打的标题", end="07:30"))

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_end_error"><li>The end must be after the start.</li></ul>'
        in html
    )
    assert 'value="我打的标题"' in html
    assert 'value="07:30"' in html
    assert Session.objects.count() == 0


def test_grades_must_belong_to_the_stage(client, clock, district_admin):
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"
    grades = [str(Grade.objects.get(name=name).pk) for name in ["七年级", "高一"]]

    response = client.post("/manage/sessions/new/", form_data(grades=grades, teacher=""))

    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_grades_error"><li>Not grades of the chosen stage: Senior 1.</li></ul>'
        in html
    )
    assert Session.objects.count() == 0


def test_a_teacher_cannot_be_in_two_places(client, clock, district_admin, teacher, make_session):
    make_session(title="别的课", day=TOMORROW, start="08:20", end="09:00", teacher=teacher)
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"

    response = client.post("/manage/sessions/new/", form_data())

    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_teacher_error"><li>This teacher already gives “别的课” '
        "from 08:20 to 09:00 that day.</li></ul>"
    ) in html
    assert Session.objects.count() == 1


def test_an_unknown_staff_number_is_an_error(client, clock, district_admin):
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"

    response = client.post("/manage/sessions/new/", form_data(teacher="T9999"))

    assert "No teacher has the staff number T9999." in response.content.decode()
    assert Session.objects.count() == 0


def test_back_to_back_sessions_are_fine(clock, district_admin, teacher, make_session):
    make_session(day=TOMORROW, start="08:40", end="09:20", teacher=teacher)

    session = services.session_create(
        actor=district_admin,
        starts_at=shanghai(TOMORROW, "08:00"),
        ends_at=shanghai(TOMORROW, "08:40"),
        stage=Stage.JUNIOR,
        grades=Grade.objects.filter(name="七年级"),
        title="第一节",
        teacher=teacher.teacher,
    )

    assert Session.objects.count() == 2
    assert session.day == TOMORROW


def test_a_cancelled_session_frees_the_teacher_but_keeps_its_start(
    clock, district_admin, teacher, make_session
):
    make_session(day=TOMORROW, start="08:20", end="09:00", teacher=teacher, status="cancelled")
    arguments = {
        "actor": district_admin,
        "stage": Stage.JUNIOR,
        "grades": Grade.objects.filter(name="七年级"),
        "title": "补课",
        "teacher": teacher.teacher,
    }

    services.session_create(
        starts_at=shanghai(TOMORROW, "08:00"), ends_at=shanghai(TOMORROW, "08:40"), **arguments
    )
    with pytest.raises(ValidationError) as error:
        services.session_create(
            starts_at=shanghai(TOMORROW, "08:20"), ends_at=shanghai(TOMORROW, "08:50"), **arguments
        )
    assert list(error.value.message_dict) == ["teacher"]


def create_tomorrow_at_eight(actor, **fields):
    """services.session_create of a grade-7 session tomorrow 08:00-08:40."""
    return services.session_create(
        actor=actor,
        starts_at=shanghai(TOMORROW, "08:00"),
        ends_at=shanghai(TOMORROW, "08:40"),
        stage=Stage.JUNIOR,
        grades=Grade.objects.filter(name="七年级"),
        **fields,
    )


def test_the_services_refuse_other_people(clock, school_admin):
    with pytest.raises(PermissionDenied):
        create_tomorrow_at_eight(school_admin, title="不该有的课")
    assert Session.objects.count() == 0


def test_a_district_admin_edits_a_session_and_the_form_shows_local_times(
    client, clock, district_admin, teacher, make_session
):
    session = make_session(title="旧标题", day=TODAY, teacher=teacher, description="旧说明")
    client.force_login(district_admin)

    form_page = client.get(f"/manage/sessions/{session.pk}/edit/").content.decode()
    assert 'value="2026-12-07"' in form_page
    assert 'value="08:00"' in form_page and 'value="08:40"' in form_page
    assert 'value="T0001"' in form_page

    response = client.post(
        f"/manage/sessions/{session.pk}/edit/",
        form_data(title="新标题", date="2026-12-09", start="10:00", end="10:45"),
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.title == "新标题"
    assert session.day == dt.date(2026, 12, 9)
    assert session.starts_at == dt.datetime(2026, 12, 9, 2, 0, tzinfo=dt.UTC)
    assert session.description == "带好草稿纸"


def test_editing_keeps_the_session_from_clashing_with_itself(
    client, clock, district_admin, teacher, make_session
):
    session = make_session(day=TOMORROW, teacher=teacher)
    client.force_login(district_admin)

    response = client.post(f"/manage/sessions/{session.pk}/edit/", form_data(end="08:45"))

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.ends_at == dt.datetime(2026, 12, 8, 0, 45, tzinfo=dt.UTC)


def test_a_district_admin_cancels_a_session(client, clock, district_admin, make_session):
    session = make_session()
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"

    assert client.get(f"/manage/sessions/{session.pk}/cancel/").status_code == 200
    response = client.post(f"/manage/sessions/{session.pk}/cancel/", {"reason": "老师生病"})

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("cancelled", "老师生病")
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "<dd>Cancelled: 老师生病</dd>" in page


def test_a_cancel_without_a_reason_is_refused_and_changes_nothing(
    client, clock, district_admin, make_session
):
    session = make_session()
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"

    response = client.post(f"/manage/sessions/{session.pk}/cancel/", {"reason": "   "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    session.refresh_from_db()
    assert session.status == "scheduled"
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.session_cancel(actor=district_admin, session=session, reason="")
    assert refused.value.message_dict == {"reason": ["Say why the session is cancelled."]}


def test_moving_a_session_changes_both_days(client, clock, district_admin, make_session):
    session = make_session(title="要挪的课")
    assert "要挪的课" in client.get("/").content.decode()
    assert "要挪的课" not in client.get("/timetable/2026-12-06/").content.decode()

    services.session_update(
        actor=district_admin,
        session=session,
        starts_at=shanghai(dt.date(2026, 12, 6), "08:00"),
        ends_at=shanghai(dt.date(2026, 12, 6), "08:40"),
        stage=session.stage,
        grades=session.grades.all(),
        title=session.title,
        kind=session.kind,
        subject=session.subject,
        teacher=None,
        description="",
    )

    assert "要挪的课" not in client.get("/").content.decode()
    assert "要挪的课" in client.get("/timetable/2026-12-06/").content.decode()


# Seats of a new session -------------------------------------------------------------


def test_a_new_session_gets_its_seats_from_the_form(client, clock, district_admin, teacher):
    client.force_login(district_admin)
    form_page = client.get("/manage/sessions/new/").content.decode()
    assert '<label for="id_capacity">' in form_page

    client.post("/manage/sessions/new/", form_data(capacity="40"))
    client.post("/manage/sessions/new/", form_data(capacity="", start="09:00", end="09:40"))

    assert [(s.title, s.capacity) for s in Session.objects.order_by("starts_at")] == [
        ("分数的加减", 40),
        ("分数的加减", None),
    ]


def test_a_district_event_with_seats_is_refused_by_the_seat_rule(client, clock, district_admin):
    client.force_login(district_admin)
    client.cookies["django_language"] = "en"

    response = client.post(
        "/manage/sessions/new/",
        form_data(kind="event", title="升旗仪式", teacher="", subject="", capacity="500"),
    )

    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_capacity_error"><li>A district event is for everyone: '
        "leave the seats empty.</li></ul>"
    ) in response.content.decode()
    assert Session.objects.count() == 0


def test_session_create_refuses_seats_out_of_range(clock, district_admin):
    with pytest.raises(ValidationError) as error:
        create_tomorrow_at_eight(district_admin, title="第一节", capacity=0)

    assert list(error.value.message_dict) == ["capacity"]
    assert Session.objects.count() == 0


def test_editing_a_session_keeps_its_seats(client, clock, district_admin, teacher, make_session):
    session = make_session(title="旧标题", day=TOMORROW, teacher=teacher)
    Session.objects.filter(pk=session.pk).update(capacity=30)
    client.force_login(district_admin)

    form_page = client.get(f"/manage/sessions/{session.pk}/edit/").content.decode()
    response = client.post(f"/manage/sessions/{session.pk}/edit/", form_data(title="新标题"))

    # Seats change on the roster, where the waitlist moves with them.
    assert 'name="capacity"' not in form_page
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.title, session.capacity) == ("新标题", 30)
