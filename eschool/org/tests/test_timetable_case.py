"""The shared timetable case end to end: imported, then read on the public page and in iCal.

../shared/cases/README.md: 《春》朗读与赏析 is shown as 08:00–08:40 and starts in the
calendar at 08:00 Asia/Shanghai, never at 08:00 UTC.
"""

import datetime as dt
import io
import re
from html import unescape
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pytest

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.org.importing import RowError, import_file

from .conftest import case_path

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 7)
SPRING = "《春》朗读与赏析"
_SESSION_ITEM = re.compile(r'<li class="session[^"]*">(.*?)</li>', re.S)
_TIME = re.compile(r'<span class="time">([^<]*)</span>')


@pytest.fixture
def timetable_imported(teachers_loaded):
    result = import_file(case_path("timetable.xlsx"))
    assert result.counts == {"sessions": {"new": 5, "changed": 0, "unchanged": 0}}
    return result


def shown_times(html: str) -> dict[str, str]:
    """Title -> the time range a visitor reads on the timetable page."""
    found = {}
    for item in _SESSION_ITEM.findall(html):
        title = re.search(r'<a class="title"[^>]*>([^<]*)</a>', item)
        found[unescape(title.group(1))] = unescape(_TIME.search(item).group(1))
    return found


def test_a_visitor_reads_the_case_in_shanghai_time_on_the_page(client, timetable_imported):
    # The morning of the day itself: the day is public (today is always published).
    with timeutil.frozen_at(dt.datetime(2026, 12, 7, 7, 0, tzinfo=SHANGHAI)):
        response = client.get("/timetable/2026-12-07/")

    assert response.status_code == 200
    assert shown_times(response.content.decode()) == {
        SPRING: "08:00–08:40",
        "Unit 5 Reading": "08:50–09:30",
        "光的折射": "09:40–10:20",
        "中考专题：二次函数综合": "19:00–20:00",
        "亲子游戏：纸杯叠叠乐": "10:00–10:30",
    }


def test_the_day_calendar_starts_the_case_at_8_in_shanghai(client, timetable_imported):
    with timeutil.frozen_at(dt.datetime(2026, 12, 7, 7, 0, tzinfo=SHANGHAI)):
        response = client.get("/timetable/2026-12-07.ics")

    assert response.status_code == 200
    spring = Session.objects.get(title=SPRING)
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = [e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == SPRING]
    start = event["DTSTART"]
    assert str(event["UID"]) == f"session-{spring.pk}@eschool"
    # Either form the case allows, and nothing else: 08:00 in Shanghai, or 00:00 UTC.
    assert (start.params.get("TZID"), start.to_ical()) in {
        ("Asia/Shanghai", b"20261207T080000"),
        (None, b"20261207T000000Z"),
    }
    assert event.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(
        2026, 12, 7, 0, 0, tzinfo=dt.UTC
    )
    assert event.decoded("DTEND").astimezone(SHANGHAI).time() == dt.time(8, 40)


def test_a_district_admin_sees_the_case_before_it_is_published(
    client, timetable_imported, district_admin
):
    # A month before: the public gets 404, the district administrator the same times.
    client.force_login(district_admin)
    with timeutil.frozen_at(dt.datetime(2026, 11, 7, 9, 0, tzinfo=SHANGHAI)):
        response = client.get("/timetable/2026-12-07/")
        client.logout()
        public = client.get("/timetable/2026-12-07/")

    assert response.status_code == 200
    assert shown_times(response.content.decode())[SPRING] == "08:00–08:40"
    assert public.status_code == 404


def xlsx_with_times(starts, ends) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["日期", "开始时间", "结束时间", "学段", "年级", "学科", "课题", "授课教师工号", "类型"]
    )
    sheet.append(
        [dt.datetime(2026, 12, 7), starts, ends, "初中", "七年级", "语文", "早读", "T0001", "课堂"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_time_cell_just_under_midnight_is_reported_not_a_crash(teachers_loaded):
    # 0.99999999 of a day rounds to 24:00; the import used to stop on a bare ValueError.
    result = import_file(xlsx_with_times(0.3333333, 0.99999999), filename="t.xlsx")

    assert result.committed is False
    assert result.errors == [
        RowError(2, "结束时间", "0.99999999", "This is not a time of day; write it like 08:00.")
    ]
    assert Session.objects.count() == 0


def test_seconds_in_a_time_cell_are_reported_like_typed_ones(teachers_loaded):
    cell = import_file(xlsx_with_times(dt.time(8, 0, 30), dt.time(8, 40)), filename="t.xlsx")
    typed = import_file(xlsx_with_times("08:00:30", "08:40"), filename="t.xlsx")

    message = "Times on the timetable are whole minutes; write 08:00, not 08:00:30."
    assert cell.errors == [RowError(2, "开始时间", "08:00:30", message)]
    assert typed.errors == [RowError(2, "开始时间", "08:00:30", message)]
    assert Session.objects.count() == 0
