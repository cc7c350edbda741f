"""iCalendar: the public calendar of a day and each person's private feed."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest

from eschool.classroom import services
from eschool.classroom.models import Booking, CalendarFeed, Session
from eschool.classroom.services.publication import day_notice_add, day_publish

from .conftest import TODAY, TOMORROW, shanghai

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events(calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def book(session, learner, status=Booking.Status.CONFIRMED):
    return Booking.objects.create(
        session=session, learner=learner, status=status, queued_at=shanghai(TODAY, "09:00")
    )


def test_the_day_calendar_has_its_sessions_in_shanghai_time(client, clock, make_session, teacher):
    session = make_session(title="《春》", teacher=teacher, start="08:00", end="08:40")
    calendar = parse(client.get("/timetable/2026-12-07.ics"))
    event = events(calendar)[f"session-{session.pk}@eschool"]
    start = event.decoded("DTSTART")
    assert start == dt.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
    assert start.utcoffset() == dt.timedelta(hours=8)
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
    assert event.decoded("DTEND").astimezone(dt.UTC) == dt.datetime(
        2026, 12, 7, 0, 40, tzinfo=dt.UTC
    )
    assert str(event["SUMMARY"]) == "《春》"
    assert str(event["URL"]) == f"http://testserver/sessions/{session.pk}/"
    assert str(event["STATUS"]) == "CONFIRMED"
    # Never floating: every time names its zone, and the zone is described.
    text = client.get("/timetable/2026-12-07.ics").content.decode()
    assert "DTSTART;TZID=Asia/Shanghai:20261207T080000\r\n" in text
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]


def test_a_notice_is_an_all_day_event_ending_the_next_day(client, clock, district_admin):
    notice = day_notice_add(actor=district_admin, day=TODAY, title="元旦放假", description="停课")
    calendar = parse(client.get("/timetable/2026-12-07.ics"))
    event = events(calendar)[f"notice-{notice.pk}@eschool"]
    assert event.decoded("DTSTART") == dt.date(2026, 12, 7)
    assert event.decoded("DTEND") == dt.date(2026, 12, 8)
    assert not isinstance(event.decoded("DTSTART"), dt.datetime)
    assert str(event["SUMMARY"]) == "元旦放假"
    text = client.get("/timetable/2026-12-07.ics").content.decode()
    assert "DTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261208\r\n" in text


def test_text_is_escaped_by_the_library(client, clock, make_session):
    make_session(title="数学<script>;a,b\\c", description="第一行\n第二行")
    text = client.get("/timetable/2026-12-07.ics").content.decode()
    assert "SUMMARY:数学<script>\\;a\\,b\\\\c\r\n" in text
    event = next(iter(events(icalendar.Calendar.from_ical(text)).values()))
    assert str(event["SUMMARY"]) == "数学<script>;a,b\\c"
    assert str(event["DESCRIPTION"]) == "第一行\n第二行"


def test_a_cancelled_session_is_marked_cancelled(client, clock, make_session, district_admin):
    session = make_session()
    services.session_cancel(actor=district_admin, session=session, reason="停电")
    event = events(parse(client.get("/timetable/2026-12-07.ics")))[f"session-{session.pk}@eschool"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["DESCRIPTION"]) == "停电"


def test_the_day_calendar_is_404_before_publication(client, clock, make_session, district_admin):
    make_session(day=TOMORROW)
    assert client.get("/timetable/2026-12-08.ics").status_code == 404
    client.force_login(district_admin)  # even administrators: the feed is the public one
    assert client.get("/timetable/2026-12-08.ics").status_code == 404
    day_publish(day=TOMORROW, actor=district_admin)
    assert len(events(parse(client.get("/timetable/2026-12-08.ics")))) == 1
    assert client.get("/timetable/2026-02-30.ics").status_code == 404


def feed_of(client, user) -> icalendar.Calendar:
    token = CalendarFeed.objects.get_or_create(user=user)[0].token
    return parse(client.get(f"/calendar/{token}.ics"))


def test_a_learner_sees_only_their_confirmed_bookings(
    client, clock, make_session, student, stranger
):
    mine = make_session(title="我的课", start="08:00", end="08:40")
    waiting = make_session(title="候补的课", start="09:00", end="09:40")
    dropped = make_session(title="取消的预约", start="10:00", end="10:40")
    theirs = make_session(title="别人的课", start="11:00", end="11:40")
    book(mine, student)
    book(waiting, student, Booking.Status.WAITLISTED)
    book(dropped, student, Booking.Status.CANCELLED)
    book(theirs, stranger)
    assert list(events(feed_of(client, student))) == [f"session-{mine.pk}@eschool"]
    assert list(events(feed_of(client, stranger))) == [f"session-{theirs.pk}@eschool"]


def test_a_parent_sees_their_childs_bookings_not_anothers(
    client, clock, make_session, student, parent, stranger
):
    child = make_session(title="孩子的课", start="08:00", end="08:40")
    other = make_session(title="别人家孩子的课", start="09:00", end="09:40")
    book(child, student)
    book(other, stranger)
    assert list(events(feed_of(client, parent))) == [f"session-{child.pk}@eschool"]


def test_a_teacher_sees_the_sessions_they_teach(client, clock, make_session, teacher, student):
    taught = make_session(title="我教的课", teacher=teacher, day=TOMORROW)
    make_session(title="别的课", start="10:00", end="10:40")
    calendar = feed_of(client, teacher)
    assert list(events(calendar)) == [f"session-{taught.pk}@eschool"]
    event = events(calendar)[f"session-{taught.pk}@eschool"]
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)


def test_the_uid_is_stable_and_a_session_appears_once(
    client, clock, make_session, student, parent, district_admin
):
    session = make_session(title="分数的加减")
    book(session, student)
    # The parent's child booked it: still one event, and the same UID every time.
    assert list(events(feed_of(client, parent))) == [f"session-{session.pk}@eschool"]
    Session.objects.filter(pk=session.pk).update(title="新标题")
    assert list(events(feed_of(client, parent))) == [f"session-{session.pk}@eschool"]


def test_my_calendar_page_gives_the_address_and_renews_it(client, clock, student):
    assert client.get("/my/calendar/").status_code == 302  # log in first
    client.force_login(student)
    client.cookies["django_language"] = "en"
    html = client.get("/my/calendar/").content.decode()
    feed = CalendarFeed.objects.get(user=student)
    old = f"http://testserver/calendar/{feed.token}.ics"
    assert f'value="{old}" readonly>' in html
    assert f'href="webcal://testserver/calendar/{feed.token}.ics"' in html
    assert "How to subscribe" in html
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 200

    response = client.post("/my/calendar/")
    assert response.status_code == 302
    feed.refresh_from_db()
    new = f"http://testserver/calendar/{feed.token}.ics"
    assert new != old
    # The old address is revoked at once; the new one works.
    assert client.get(old.removeprefix("http://testserver")).status_code == 404
    assert client.get(new.removeprefix("http://testserver")).status_code == 200
    assert CalendarFeed.objects.filter(user=student).count() == 1


def test_an_unknown_token_is_404(client, clock):
    assert client.get("/calendar/" + "x" * 32 + ".ics").status_code == 404


def test_a_disabled_account_has_no_feed(client, clock, student):
    token = CalendarFeed.objects.create(user=student).token
    student.is_active = False
    student.save(update_fields=["is_active"])
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_private_feed_has_the_notices_as_all_day_events(
    client, clock, make_session, district_admin, student, teacher
):
    session = make_session(title="我的课", start="08:00", end="08:40")
    book(session, student)
    holiday = day_notice_add(actor=district_admin, day=TODAY, title="元旦放假")
    long_ago = day_notice_add(actor=district_admin, day=TODAY - dt.timedelta(days=61), title="旧")
    exam = day_notice_add(actor=district_admin, day=TOMORROW, title="期末考试", no_classes=True)

    # Tomorrow is not published yet at 10:00: its notice waits, like its timetable.
    assert list(events(feed_of(client, student))) == [
        f"notice-{holiday.pk}@eschool",
        f"session-{session.pk}@eschool",
    ]
    day_publish(day=TOMORROW, actor=district_admin)
    for person in (student, teacher):
        found = events(feed_of(client, person))
        assert f"notice-{long_ago.pk}@eschool" not in found
        event = found[f"notice-{exam.pk}@eschool"]
        assert event.decoded("DTSTART") == dt.date(2026, 12, 8)
        assert event.decoded("DTEND") == dt.date(2026, 12, 9)
        assert not isinstance(event.decoded("DTSTART"), dt.datetime)
        assert str(event["SUMMARY"]) == "期末考试"
    token = CalendarFeed.objects.get(user=student).token
    text = client.get(f"/calendar/{token}.ics").content.decode()
    assert "DTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261208\r\n" in text


def test_a_booking_with_unlimited_seats_is_in_the_feed(client, clock, make_session, student):
    from eschool.classroom.services.booking import booking_create

    session = make_session(title="阅读", start="14:00", end="14:40")  # capacity None
    booking_create(learner=student, session=session)

    assert list(events(feed_of(client, student))) == [f"session-{session.pk}@eschool"]
