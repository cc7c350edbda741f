"""Watch time from a real player: a student plays a replay, seeks back, pauses; two sections are kept."""

import datetime as dt

import pytest
from django.core.files import File
from django.test import Client

from eschool.browser_tests.conftest import assert_no_horizontal_scroll, in_chinese
from eschool.classroom.services import session_create
from eschool.core import timeutil
from eschool.live import services as live_services
from eschool.live.media import make_test_video
from eschool.org.models import Grade, Stage
from eschool.watching.models import WatchSection
from eschool.watching.services import heartbeats_fold

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_replay_watched_with_a_seek_is_two_sections_of_what_was_played(
    phone_page, live_server, district_admin, student, media_root, settings, tmp_path
):
    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)
    yesterday = timeutil.today() - dt.timedelta(days=1)
    session = session_create(
        actor=district_admin,
        starts_at=timeutil.at_local(yesterday, dt.time(8, 0)),
        ends_at=timeutil.at_local(yesterday, dt.time(8, 40)),
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
        title="光的折射",
    )
    clip = tmp_path / "lesson.mp4"
    make_test_video(clip, seconds=8, width=320, height=180)
    with clip.open("rb") as upload:
        live_services.recording_upload(
            actor=district_admin, session=session, uploaded_file=File(upload, name="lesson.mp4")
        )

    page = phone_page
    log_in(page, live_server, student)
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
    log_in(page, live_server, teacher)
    page.goto(f"{live_server.url}/watch/sessions/{session.pk}/attendance/")
    assert page.locator("h1").inner_text()
    assert student.name in page.locator("table").inner_text()
    assert_no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/watch/attendance/")
    assert_no_horizontal_scroll(page)
    page.context.clear_cookies()
    log_in(page, live_server, parent)
    page.goto(f"{live_server.url}/accounts/children/{student.pk}/")
    page.get_by_role("link", name=in_chinese("Watch time: live and replay minutes")).click()
    page.wait_for_url(f"**/watch/children/{student.pk}/")
    assert_no_horizontal_scroll(page)


def test_a_district_events_page_is_shared_and_still_counts_each_student(
    phone_page, live_server, district_admin, student, media_root, settings, tmp_path
):
    """The event's page and token are the same for everyone (public); the heartbeats go
    with the login cookie, and the fold counts them for the student who watched."""
    from eschool.classroom.models import Session

    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)
    yesterday = timeutil.today() - dt.timedelta(days=1)
    event = session_create(
        actor=district_admin,
        kind=Session.Kind.EVENT,
        starts_at=timeutil.at_local(yesterday, dt.time(8, 0)),
        ends_at=timeutil.at_local(yesterday, dt.time(8, 30)),
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
        title="升旗仪式",
    )
    clip = tmp_path / "ceremony.mp4"
    make_test_video(clip, seconds=8, width=320, height=180)
    with clip.open("rb") as upload:
        live_services.recording_upload(
            actor=district_admin, session=event, uploaded_file=File(upload, name="ceremony.mp4")
        )

    page = phone_page
    log_in(page, live_server, student)
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
