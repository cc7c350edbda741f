"""Day notices (holidays, exam days): managed by district admins, shown on the day."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eschool.classroom.models import DayNotice, Session
from eschool.classroom.services.publication import day_notice_add, day_notice_remove

from .conftest import TODAY

pytestmark = pytest.mark.django_db

NOTICE = '<div class="card notice no-classes" role="note">\n    <strong>元旦放假</strong>'


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_a_district_admin_adds_a_notice_through_the_page(client, clock, district_admin):
    client.force_login(district_admin)
    response = english(client).post(
        "/manage/notices/",
        {
            "day": "2026-12-07",
            "title": "元旦放假",
            "description": "全区停课一天",
            "no_classes": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/manage/notices/"
    notice = DayNotice.objects.get()
    assert (notice.day, notice.title, notice.description, notice.no_classes) == (
        TODAY,
        "元旦放假",
        "全区停课一天",
        True,
    )
    html = client.get("/manage/notices/").content.decode()
    assert "The notice is on the timetable of 2026-12-07." in html
    assert f'action="/manage/notices/{notice.pk}/delete/"' in html


def test_a_no_classes_notice_says_how_many_sessions_are_still_on_that_day(
    client, clock, make_session, district_admin
):
    make_session(title="分数的加减")
    make_session(title="《春》朗读")
    make_session(title="已取消的课", status=Session.Status.CANCELLED)
    client.force_login(district_admin)
    form = {"day": "2026-12-07", "title": "元旦放假", "no_classes": "on"}

    english(client).post("/manage/notices/", form)

    html = client.get("/manage/notices/").content.decode()
    assert (
        "2 sessions are still on the timetable of 2026-12-07: "
        "withdraw them on their pages if they will not take place."
    ) in html
    # A notice that is only information (classes go on) warns of nothing.
    client.post("/manage/notices/", form | {"no_classes": "", "title": "期末考试"})
    assert "still on the timetable" not in client.get("/manage/notices/").content.decode()


def test_the_notice_shows_on_its_day_for_every_viewer(
    client, clock, make_session, district_admin, student, teacher
):
    make_session(title="分数的加减")
    day_notice_add(actor=district_admin, day=TODAY, title="元旦放假", description="全区停课")
    for person in (None, student, teacher, district_admin):
        if person is not None:
            client.force_login(person)
        html = english(client).get("/").content.decode()
        assert NOTICE in html, person
        assert '<span class="badge cancelled">No classes</span>' in html
        assert "<p>全区停课</p>" in html
        # The date's own page shows it too; the next day's does not.
        assert NOTICE in client.get("/timetable/2026-12-07/").content.decode()
        assert "元旦放假" not in client.get("/timetable/2026-12-06/").content.decode()


def test_removing_a_notice_takes_it_off_the_cached_page(client, clock, district_admin):
    notice = day_notice_add(actor=district_admin, day=TODAY, title="元旦放假")
    assert NOTICE in client.get("/").content.decode()  # now cached
    client.force_login(district_admin)
    response = client.post(f"/manage/notices/{notice.pk}/delete/")
    assert response.status_code == 302
    assert DayNotice.objects.count() == 0
    client.logout()
    assert "元旦放假" not in client.get("/").content.decode()


def test_a_notice_is_html_escaped(client, clock, district_admin):
    day_notice_add(actor=district_admin, day=TODAY, title="考试<script>alert(1)</script>")
    html = client.get("/").content.decode()
    assert "<strong>考试&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in html
    assert "<script>alert(1)" not in html


def test_the_form_keeps_what_was_typed_and_shows_errors(client, clock, district_admin):
    client.force_login(district_admin)
    response = english(client).post(
        "/manage/notices/", {"day": "2026-12-07", "title": "   ", "description": "保留这段文字"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<ul class="errorlist" id="id_title_error"><li>This field is required.</li></ul>' in html
    assert "保留这段文字" in html
    assert DayNotice.objects.count() == 0
    response = client.post("/manage/notices/", {"day": "1999-12-31", "title": "太早"})
    assert "Choose a date between 2000 and 2100." in response.content.decode()
    assert 'value="1999-12-31"' in response.content.decode()
    assert DayNotice.objects.count() == 0


@pytest.mark.parametrize("persona", ["school_admin", "teacher", "student", "parent"])
def test_others_may_not_manage_notices(client, clock, personas, persona, district_admin):
    notice = day_notice_add(actor=district_admin, day=TODAY, title="元旦放假")
    client.force_login(personas[persona])
    assert client.get("/manage/notices/").status_code == 403
    assert client.post("/manage/notices/", {"day": "2026-12-08", "title": "x"}).status_code == 403
    assert client.post(f"/manage/notices/{notice.pk}/delete/").status_code == 403
    assert list(DayNotice.objects.values_list("title", flat=True)) == ["元旦放假"]


def test_a_visitor_is_sent_to_log_in(client, clock):
    response = client.get("/manage/notices/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/manage/notices/"


def test_the_services_check_the_actor_and_the_input(clock, district_admin, teacher):
    with pytest.raises(PermissionDenied):
        day_notice_add(actor=teacher, day=TODAY, title="x")
    with pytest.raises(ValidationError) as error:
        day_notice_add(actor=district_admin, day=dt.date(2101, 1, 1), title=" ")
    assert sorted(error.value.message_dict) == ["day", "title"]
    notice = day_notice_add(
        actor=district_admin, day=TODAY, title="  期末  考试 ", no_classes=False
    )
    assert (notice.title, notice.no_classes) == ("期末 考试", False)
    with pytest.raises(PermissionDenied):
        day_notice_remove(actor=teacher, notice=notice)
    assert DayNotice.objects.count() == 1
