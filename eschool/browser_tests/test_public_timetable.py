"""A visitor opens the public timetable on a phone, in Chinese, and switches to English."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from eschool.classroom.services import session_create
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject

from .conftest import PHONE, assert_no_horizontal_scroll, in_chinese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_a_visitor_sees_todays_timetable_in_chinese_and_switches_to_english(
    any_page, live_server, district_admin
):
    page = any_page
    today = timeutil.today()
    session_create(
        actor=district_admin,
        starts_at=timeutil.at_local(today, dt.time(8, 0)),
        ends_at=timeutil.at_local(today, dt.time(8, 40)),
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
        subject=Subject.objects.get(name="语文"),
        title="《春》朗读与赏析",
    )

    page.goto(live_server.url + "/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    chinese_heading = in_chinese("Today's timetable")
    assert CJK.search(chinese_heading), "no Chinese translation of the timetable heading"
    expect(page.get_by_role("heading", level=1)).to_contain_text(chinese_heading)
    session = page.get_by_role("link", name="《春》朗读与赏析")
    expect(session).to_be_visible()
    expect(page.get_by_role("heading", name="七年级")).to_be_visible()
    expect(page.locator(".session .time").first).to_have_text("08:00–08:40")
    if page.viewport_size == PHONE:
        assert_no_horizontal_scroll(page)
        page.screenshot(path="/tmp/demo_home.png", full_page=True)

    page.get_by_role("link", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today's timetable")
    expect(page.get_by_role("heading", name="Junior high school")).to_be_visible()
    expect(page.get_by_role("link", name="《春》朗读与赏析")).to_be_visible()
    # And back: the switch is a cookie, nothing else.
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
