"""A title with markup is shown as typed and never runs, on the day, session and course pages."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from eschool.classroom.models import Kind
from eschool.classroom.services import courses as course_services
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject

from .conftest import assert_no_horizontal_scroll

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "数学<script>alert(1)</script>"


def test_a_title_with_a_script_tag_is_shown_as_typed_and_never_runs(
    phone_page, live_server, district_admin, media_root
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

    for path in ("/", f"/sessions/{session.pk}/", f"/courses/{course.pk}/"):
        page.goto(live_server.url + path)

        expect(page.get_by_text(TITLE, exact=True).first).to_be_visible()
        scripts = page.evaluate(
            "Array.from(document.scripts).filter(s => s.text.includes('alert(')).length"
        )
        assert scripts == 0, path
        assert page.locator("img[src=x]").count() == 0, path
        assert_no_horizontal_scroll(page)

    assert dialogs == []
