"""Going live from the browser, end to end, in Debian's Chromium with a fake camera.

A teacher logs in, opens the session page, chooses the camera and presses 开始直播: the page
records H.264 with MediaRecorder and streams it over the ingest WebSocket, the server cuts HLS
segments. A student with a booked seat, on a phone, sees the live player and its video move.
The teacher presses 结束直播; the student reloads, gets the replay and seeks it.
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

from eschool.classroom.models import Booking, Session
from eschool.core import timeutil
from eschool.core.testing import PASSWORD
from eschool.live.media import read_playlist
from eschool.live.models import Broadcast
from eschool.org.models import Grade, Stage, Subject

from .conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, in_chinese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
VIDEO = "document.querySelector('#live video')"


@pytest.fixture
def camera_browser(chromium):
    """A Chromium of its own whose camera and microphone are Chromium's test pattern and tone."""
    browser = chromium.browser_type.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + FAKE_MEDIA
    )
    yield browser
    browser.close()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill(username)
    page.get_by_label(in_chinese("Password")).fill(PASSWORD)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    expect(page.get_by_role("button", name=in_chinese("Log out"), exact=True)).to_be_visible()


def test_a_teacher_goes_live_a_student_watches_then_seeks_the_replay(
    asgi_server, chromium, camera_browser, media_root, teacher, student
):
    # A class starting now, with seats; the student booked one.
    starts_at = timeutil.now().replace(second=0, microsecond=0)
    session = Session.objects.create(
        title="光的折射",
        stage=Stage.JUNIOR,
        subject=Subject.objects.get(name="数学"),
        teacher=teacher.teacher,
        day=timeutil.local(starts_at).date(),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=40),
        capacity=30,
    )
    session.grades.set([Grade.objects.get(level=7)])
    Booking.objects.create(
        learner=student, session=session, status="confirmed", queued_at=timeutil.now()
    )
    url = f"{asgi_server}/sessions/{session.pk}/"

    teacher_context = camera_browser.new_context(viewport=DESKTOP, locale="zh-CN")
    teacher_context.set_default_timeout(20_000)
    desk = teacher_context.new_page()
    log_in(desk, asgi_server, "T0001")
    desk.goto(url)
    panel = desk.locator("#go-live")
    panel.get_by_role("radio", name=in_chinese("Camera"), exact=True).check()
    panel.get_by_role("button", name=in_chinese("Preview")).click()
    desk.wait_for_function("document.querySelector('.go-live-preview').videoWidth > 0")
    start = panel.get_by_role("button", name=in_chinese("Start broadcast"))
    expect(start).to_be_enabled()
    start.click()
    expect(panel).to_have_attribute("data-state", "live")
    # The server tells the page how many segments students can already watch.
    desk.wait_for_function("Number(document.getElementById('go-live').dataset.segments) >= 2")
    assert Broadcast.objects.get(session=session).status == Broadcast.Status.LIVE

    phone_context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    phone_context.set_default_timeout(20_000)
    phone = phone_context.new_page()
    log_in(phone, asgi_server, "00123")
    phone.goto(url)
    expect(phone.locator(".live-badge")).to_be_visible()
    assert phone.locator("#live video").get_attribute("data-mode") == "live"
    # The player starts by itself (muted if the browser insists); the video moves.
    phone.wait_for_function(f"{VIDEO}.currentTime > 0.5")
    first = phone.evaluate(f"{VIDEO}.currentTime")
    phone.wait_for_function(f"{VIDEO}.currentTime > {first + 2}")

    # The teacher's line drops: the page reconnects with a new recorder and the server goes on
    # with the same live after a discontinuity; the student's video plays on across it.
    sent = int(panel.get_attribute("data-segments"))
    desk.evaluate("document.getElementById('go-live').dropConnection()")
    expect(panel).to_have_attribute("data-connections", "2")
    desk.wait_for_function(
        f"Number(document.getElementById('go-live').dataset.segments) >= {sent + 2}"
    )
    moment = phone.evaluate(f"{VIDEO}.currentTime")
    phone.wait_for_function(f"{VIDEO}.currentTime > {moment + 3}")

    panel.get_by_role("button", name=in_chinese("End broadcast")).click()
    expect(panel).to_have_attribute("data-state", "ended")
    expect(panel.locator(".go-live-status")).to_contain_text(
        in_chinese("The broadcast has ended. The replay is ready.")
    )
    broadcast = Broadcast.objects.get(session=session)
    assert broadcast.status == Broadcast.Status.ENDED
    playlist = read_playlist(media_root / broadcast.hls_path)
    assert playlist.ended and len(playlist.segments) >= 5
    # The page asks for a keyframe every 2 s: segments are cut at 2-4 s (the last may be short).
    assert all(1.9 <= segment.duration <= 4.1 for segment in playlist.segments[:-1]), [
        segment.duration for segment in playlist.segments
    ]
    # One discontinuity, where the teacher reconnected; nothing before it was lost.
    assert sum(segment.discontinuity for segment in playlist.segments) == 1
    length = playlist.duration

    phone.reload()
    assert phone.locator("#live").get_attribute("data-view") == "replay"
    assert phone.locator("#live video").get_attribute("data-mode") == "replay"
    phone.evaluate(f"(() => {{ const v = {VIDEO}; v.muted = true; v.play(); }})()")
    phone.wait_for_function(f"{VIDEO}.duration > 0 && {VIDEO}.currentTime > 0.2")
    assert phone.evaluate(f"{VIDEO}.duration") == pytest.approx(length, abs=0.5)
    target = round(length / 2, 1)
    phone.evaluate(f"{VIDEO}.currentTime = {target}")
    phone.wait_for_function(f"{VIDEO}.currentTime >= {target + 0.5}")  # jumped, and plays on
    phone_context.close()
    teacher_context.close()
