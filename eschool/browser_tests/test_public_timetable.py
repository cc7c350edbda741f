"""A visitor opens the public timetable on a phone, in Chinese, and switches to English."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from eschool.classroom.services import session_create
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject

from .conftest import PHONE, assert_fits_a_phone, in_chinese

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
        assert_fits_a_phone(page)
        page.screenshot(path="/tmp/demo_home.png", full_page=True)

    page.get_by_role("link", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today's timetable")
    expect(page.get_by_role("heading", name="Junior high school")).to_be_visible()
    expect(page.get_by_role("link", name="《春》朗读与赏析")).to_be_visible()
    # And back: the switch is a cookie, nothing else.
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_a_visitor_reads_the_imported_case_at_shanghai_times(phone_page, live_server):
    # ../shared/cases/timetable.xlsx, through the importer; its day (2026-12-07) is
    # made "today" by the project's clock, so the page is public whatever the real date.
    from eschool.org.importing import import_file
    from eschool.org.tests.conftest import case_path

    for name in ("schools_gbk.csv", "teachers.xlsx", "timetable.xlsx"):
        assert import_file(case_path(name)).committed, name
    page = phone_page

    with timeutil.frozen_at(dt.datetime(2026, 12, 7, 7, 0, tzinfo=timeutil.district_zone())):
        page.goto(live_server.url + "/")

        spring = page.locator(".session").filter(
            has=page.get_by_role("link", name="《春》朗读与赏析")
        )
        expect(spring.locator(".time")).to_have_text("08:00–08:40")
        lecture = page.locator(".session").filter(
            has=page.get_by_role("link", name="中考专题：二次函数综合")
        )
        expect(lecture.locator(".time")).to_have_text("19:00–20:00")
        assert_fits_a_phone(page)
