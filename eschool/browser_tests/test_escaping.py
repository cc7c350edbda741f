"""A title with markup is shown as typed and never runs: on the day, session and course pages,
the poster, and a learner's timetable and notification centre."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from eschool.classroom.models import Kind
from eschool.classroom.services import courses as course_services
from eschool.classroom.services import session_cancel
from eschool.classroom.services.booking import booking_create
from eschool.classroom.services.publication import day_publish
from eschool.core import timeutil
from eschool.core.testing import PASSWORD
from eschool.org.models import Grade, Stage, Subject

from .conftest import assert_fits_a_phone, in_chinese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "数学<script>alert(1)</script>"


def test_a_title_with_a_script_tag_is_shown_as_typed_and_never_runs(
    phone_page, live_server, district_admin, student, media_root
):
    page = phone_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    today = timeutil.today()
    course = course_services.course_create(
        actor=district_admin,
        kind=Kind.LECTURE,
        title=TITLE,
        description="<img src=x onerror=alert(2)>",
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
        subject=Subject.objects.get(name="数学"),
    )
    session = course_services.course_session_add(
        actor=district_admin,
        course=course,
        starts_at=timeutil.at_local(today, dt.time(8, 0)),
        ends_at=timeutil.at_local(today, dt.time(8, 40)),
    )
    assert session.title == TITLE
    # Tomorrow, published by hand: still bookable when the test books it.
    tomorrow = today + dt.timedelta(days=1)
    day_publish(day=tomorrow, actor=district_admin)
    session_tomorrow = course_services.course_session_add(
        actor=district_admin,
        course=course,
        starts_at=timeutil.at_local(tomorrow, dt.time(8, 0)),
        ends_at=timeutil.at_local(tomorrow, dt.time(8, 40)),
    )

    for path in ("/", f"/sessions/{session.pk}/", f"/courses/{course.pk}/"):
        page.goto(live_server.url + path)

        expect(page.get_by_text(TITLE, exact=True).first).to_be_visible()
        scripts = page.evaluate(
            "Array.from(document.scripts).filter(s => s.text.includes('alert(')).length"
        )
        assert scripts == 0, path
        assert page.locator("img[src=x]").count() == 0, path
        assert_fits_a_phone(page)

    # The poster, and what a learner who booked sees: 我的课表 and the cancellation notice.
    booking_create(learner=student, session=session_tomorrow)
    session_cancel(actor=district_admin, session=session_tomorrow, reason=TITLE)
    page.goto(f"{live_server.url}/sessions/{session.pk}/poster/")
    expect(page.get_by_text(TITLE, exact=True).first).to_be_visible()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill(student.username)
    page.get_by_label(in_chinese("Password")).fill(PASSWORD)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    for path in ("/my/timetable/", "/notifications/"):
        page.goto(live_server.url + path)
        expect(page.get_by_text(TITLE).first).to_be_visible()
        scripts = page.evaluate(
            "Array.from(document.scripts).filter(s => s.text.includes('alert(')).length"
        )
        assert scripts == 0, path

    assert dialogs == []
