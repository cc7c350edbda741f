"""Watch time from a real player: a student plays a replay, seeks back, pauses; two sections are kept."""

import datetime as dt

import pytest

from eschool.browser_tests.conftest import (
    assert_fits_a_phone,
    in_chinese,
    log_in_by_cookie,
)
from eschool.core import timeutil
from eschool.org.models import Stage
from eschool.watching.models import WatchSection
from eschool.watching.services import heartbeats_fold

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_replay_watched_with_a_seek_is_two_sections_of_what_was_played(
    phone_page, live_server, student, replay_of_yesterday
):
    session = replay_of_yesterday(seconds=8)

    page = phone_page
    log_in_by_cookie(page, live_server.url, student)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    assert page.evaluate("document.querySelector('video').dataset.mode") == "replay"
    with page.expect_response(lambda r: r.url.endswith("/watch/heartbeats")) as first:
        page.evaluate("const v = document.querySelector('video'); v.muted = true; v.play()")
    assert first.value.status == 202  # sent as soon as playing starts: counted as a viewer
    page.wait_for_function("document.querySelector('video').currentTime > 3")
    # The section ends at the last position the player reported before the seek (timeupdate
    # comes every 250 ms or so), not where the seek lands.
    seeked_from = page.evaluate(
        "(() => { const v = document.querySelector('video'); const at = v.currentTime;"
        " v.currentTime = 1; return at; })()"
    )
    page.wait_for_function(
        "(() => { const v = document.querySelector('video');"
        " return !v.seeking && v.currentTime > 2.5 && v.currentTime < 3.5; })()"
    )
    with page.expect_response(lambda r: r.url.endswith("/watch/heartbeats")) as last:
        page.evaluate("document.querySelector('video').pause()")
    assert last.value.status == 202
    paused_at = page.evaluate("document.querySelector('video').currentTime")

    heartbeats_fold()
    sections = list(WatchSection.objects.filter(user=student, session=session).order_by("first_at"))
    assert [s.mode for s in sections] == ["replay", "replay"]
    first_section, second_section = sections
    assert first_section.start_s == pytest.approx(0, abs=0.3)
    assert seeked_from - 0.4 <= first_section.end_s <= seeked_from
    assert second_section.start_s == pytest.approx(1, abs=0.3)
    assert second_section.end_s == pytest.approx(paused_at, abs=0.3)
    for section in sections:  # honest playing: every second played counts, nothing more
        assert section.seconds == pytest.approx(section.end_s - section.start_s)


def test_the_attendance_pages_fit_a_phone(phone_page, live_server, teacher, student, parent):
    from eschool.classroom.models import Booking, Session

    start = timeutil.now().replace(microsecond=0)
    session = Session.objects.create(
        day=timeutil.today(),
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=40),
        title="一元一次方程的应用：行程问题与工程问题综合复习",
        stage=Stage.JUNIOR,
        teacher=teacher.teacher,
    )
    Booking.objects.create(session=session, learner=student, status="confirmed", queued_at=start)
    page = phone_page
    log_in_by_cookie(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/watch/sessions/{session.pk}/attendance/")
    assert page.locator("h1").inner_text()
    assert student.name in page.locator("table").inner_text()
    assert_fits_a_phone(page)
    page.goto(f"{live_server.url}/watch/attendance/")
    assert_fits_a_phone(page)
    page.context.clear_cookies()
    log_in_by_cookie(page, live_server.url, parent)
    page.goto(f"{live_server.url}/accounts/children/{student.pk}/")
    page.get_by_role("link", name=in_chinese("Watch time: live and replay minutes")).click()
    page.wait_for_url(f"**/watch/children/{student.pk}/")
    assert_fits_a_phone(page)


def test_a_district_events_page_is_shared_and_still_counts_each_student(
    phone_page, live_server, student, replay_of_yesterday
):
    """The event's page and token are the same for everyone (public); the heartbeats go
    with the login cookie, and the fold counts them for the student who watched."""
    from eschool.classroom.models import Session

    event = replay_of_yesterday(seconds=8, kind=Session.Kind.EVENT, title="升旗仪式")

    page = phone_page
    log_in_by_cookie(page, live_server.url, student)
    with page.expect_response(lambda r: r.url.endswith(f"/sessions/{event.pk}/")) as opened:
        page.goto(f"{live_server.url}/sessions/{event.pk}/")
    assert opened.value.headers["cache-control"] == "public, max-age=60"
    assert student.name not in page.content()
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/token.json")) as token:
        page.evaluate("const v = document.querySelector('video'); v.muted = true; v.play()")
    assert token.value.json()["shared"] is True
    assert token.value.headers["cache-control"] == "public, max-age=60"
    page.wait_for_function("document.querySelector('video').currentTime > 3")
    with page.expect_request(lambda r: r.url.endswith("/watch/heartbeats")) as sent:
        page.evaluate("document.querySelector('video').pause()")
    assert sent.value.response().status == 202
    assert "sessionid=" in sent.value.all_headers().get("cookie", "")  # who is watching

    heartbeats_fold()
    section = WatchSection.objects.filter(session=event).order_by("-end_s").first()
    assert section is not None and section.user == student
    assert section.mode == "replay" and section.end_s > 3
