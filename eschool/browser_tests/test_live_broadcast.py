"""Going live from the browser, end to end, in Debian's Chromium with a fake camera (and a fake
screen to share).

A teacher logs in, opens the session page, chooses the camera and presses 开始直播: the page
records H.264 with MediaRecorder and streams it over the ingest WebSocket, the server cuts HLS
segments. A student with a booked seat, on a phone, sees the live player and its video move.
The teacher presses 结束直播; the student reloads, gets the replay and seeks it. A teacher who
ends and starts again keeps the student's video moving; one who stops sharing the screen ends
the broadcast cleanly, or goes on with the camera when it was inset.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from eschool.classroom.models import Booking, Session
from eschool.core import timeutil
from eschool.live.media import read_playlist
from eschool.live.models import Broadcast
from eschool.org.models import Grade, Stage, Subject

from .conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, in_chinese, log_in

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


def class_starting_now(teacher, student=None) -> Session:
    """A class starting now, with seats; the student, if any, booked one."""
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
    if student is not None:
        Booking.objects.create(
            learner=student, session=session, status="confirmed", queued_at=timeutil.now()
        )
    return session


def teacher_page(browser, base_url: str, url: str, *, init_script: str = ""):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(20_000)
    if init_script:
        context.add_init_script(init_script)
    desk = context.new_page()
    log_in(desk, base_url, "T0001")
    desk.goto(url)
    return context, desk


def go_live(desk, source: str = "Camera"):
    """Choose what to broadcast, preview it, press Start; returns the panel once live."""
    panel = desk.locator("#go-live")
    panel.get_by_role("radio", name=in_chinese(source), exact=True).check()
    panel.get_by_role("button", name=in_chinese("Preview")).click()
    desk.wait_for_function("document.querySelector('.go-live-preview').videoWidth > 0")
    start = panel.get_by_role("button", name=in_chinese("Start broadcast"))
    expect(start).to_be_enabled()
    start.click()
    expect(panel).to_have_attribute("data-state", "live")
    return panel


def segments_reach(desk, count: int) -> None:
    # The server tells the page how many segments students can already watch.
    desk.wait_for_function(
        f"Number(document.getElementById('go-live').dataset.segments) >= {count}"
    )


def student_phone(chromium, base_url: str, url: str):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(20_000)
    phone = context.new_page()
    log_in(phone, base_url, "00123")
    phone.goto(url)
    return context, phone


@dataclass
class OnAir:
    session: Session
    desk: Page  # the teacher's page, broadcasting
    panel: Locator  # its go-live panel
    phone: Page  # a student's page, with a booked seat
    contexts: list
    missing: list  # playlists either page asked for before they existed (404)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def on_air_with_a_student(asgi_server, chromium, camera_browser, teacher, student) -> OnAir:
    """A class going on now, live from the teacher's camera (2 segments sent), and the page
    of a student who booked a seat."""
    session = class_starting_now(teacher, student)
    url = f"{asgi_server}/sessions/{session.pk}/"
    teacher_context, desk = teacher_page(camera_browser, asgi_server, url)
    missing = []
    desk.on("response", lambda r: r.status == 404 and ".m3u8" in r.url and missing.append(r.url))
    panel = go_live(desk)
    segments_reach(desk, 2)
    phone_context, phone = student_phone(chromium, asgi_server, url)
    phone.on("response", lambda r: r.status == 404 and ".m3u8" in r.url and missing.append(r.url))
    return OnAir(session, desk, panel, phone, [phone_context, teacher_context], missing)


def test_a_teacher_goes_live_a_student_watches_then_seeks_the_replay(
    asgi_server, chromium, camera_browser, media_root, teacher, student
):
    live = on_air_with_a_student(asgi_server, chromium, camera_browser, teacher, student)
    session, desk, panel, phone = live.session, live.desk, live.panel, live.phone
    assert Broadcast.objects.get(session=session).status == Broadcast.Status.LIVE
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
    segments_reach(desk, sent + 2)
    moment = phone.evaluate(f"{VIDEO}.currentTime")
    phone.wait_for_function(f"{VIDEO}.currentTime > {moment + 3}")

    # The teacher's own page: the live badge beside the heading, and the student counted.
    badge = desk.locator("#live .live-badge")
    expect(badge).to_be_visible()
    watching = desk.locator("#go-live .viewer-count-now")
    expect(watching.locator("strong")).to_have_text("1")
    # From here the teacher's page hears the end from its panel alone, not from a poll.
    desk.route("**/status.json", lambda route: route.abort())
    panel.get_by_role("button", name=in_chinese("End broadcast")).click()
    expect(panel).to_have_attribute("data-state", "ended")
    expect(panel.locator(".go-live-status")).to_contain_text(
        in_chinese("The broadcast has ended. The replay is ready.")
    )
    expect(desk.locator("#live")).to_have_attribute("data-view", "replay")
    expect(badge).to_be_hidden()
    expect(watching).to_be_hidden()  # "1 watching now" was about the live
    expect(desk.locator("#go-live .viewer-count a")).to_be_visible()  # attendance stays
    broadcast = Broadcast.objects.get(session=session)
    assert broadcast.status == Broadcast.Status.ENDED
    playlist = read_playlist(media_root / broadcast.hls_path)
    assert playlist.ended and len(playlist.segments) >= 5
    # The page asks for a keyframe every 2 s: segments of 2 s and a bit (the last may be
    # short), inside the 3 s target duration the playlist declared from the start.
    assert playlist.target_duration == 3
    assert all(1.9 <= segment.duration <= 3.0 for segment in playlist.segments[:-1]), [
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
    # The whole replay becomes seekable. A reload within the live playlist's max-age of 1 s
    # may first get the browser's cached live copy, without ENDLIST, which hls.js reloads
    # once a target duration until it ends: wait for the length rather than read it once.
    phone.wait_for_function(f"Math.abs({VIDEO}.duration - {length}) <= 0.5")
    target = round(length / 2, 1)
    phone.evaluate(f"{VIDEO}.currentTime = {target}")
    phone.wait_for_function(f"{VIDEO}.currentTime >= {target + 0.5}")  # jumped, and plays on
    # Neither page asked for the playlist before its first segment was in it.
    assert live.missing == []
    live.close()


def test_a_student_goes_on_watching_when_the_teacher_stops_and_goes_live_again(
    asgi_server, chromium, camera_browser, media_root, teacher, student
):
    # As when OBS's line drops (publish-done closes the playlist) and OBS comes back: the same
    # playlist closes with ENDLIST, then goes on after a discontinuity on the same URL.
    live = on_air_with_a_student(asgi_server, chromium, camera_browser, teacher, student)
    session, desk, panel, phone = live.session, live.desk, live.panel, live.phone
    phone.wait_for_function(f"{VIDEO}.currentTime > 0.5")

    panel.get_by_role("button", name=in_chinese("End broadcast")).click()
    expect(panel).to_have_attribute("data-state", "ended")
    broadcast = Broadcast.objects.get(session=session)
    first_part = read_playlist(media_root / broadcast.hls_path)
    assert first_part.ended
    # The student's page hears the end: the same playlist is now the replay.
    phone.wait_for_function("document.getElementById('live').dataset.view === 'replay'")

    start = panel.get_by_role("button", name=in_chinese("Start broadcast"))
    expect(start).to_be_enabled()
    start.click()  # the same window of the session: the same live goes on
    expect(panel).to_have_attribute("data-connections", "2")
    segments_reach(desk, len(first_part.segments) + 2)
    phone.wait_for_function("document.getElementById('live').dataset.view === 'live'")
    # The player had stopped at the ENDLIST; it loaded the playlist again and plays on into
    # the second part instead of standing still at the end of the first.
    phone.wait_for_function(f"{VIDEO}.currentTime > {first_part.duration + 2}", timeout=40_000)
    assert phone.locator("#live").get_attribute("data-loads") == "2"
    assert phone.evaluate(f"{VIDEO}.paused") is False

    panel.get_by_role("button", name=in_chinese("End broadcast")).click()
    expect(panel).to_have_attribute("data-state", "ended")
    playlist = read_playlist(media_root / broadcast.hls_path)
    assert playlist.ended and playlist.playlist_type == "VOD"
    assert [s.discontinuity for s in playlist.segments].count(True) == 1
    assert playlist.segments[len(first_part.segments)].discontinuity
    live.close()


# Remembers each screen the page shares, so the test can stop sharing it as the browser's own
# "Stop sharing" bar does: the track ends and tells the page with its "ended" event.
RECORD_SCREENS = """(() => {
  const devices = navigator.mediaDevices;
  if (!devices || !devices.getDisplayMedia) return;
  const real = devices.getDisplayMedia.bind(devices);
  window.screens = [];
  devices.getDisplayMedia = (constraints) =>
    real(constraints).then((stream) => { window.screens.push(stream); return stream; });
})()"""
STOP_SHARING = """(() => {
  const track = window.screens[window.screens.length - 1].getVideoTracks()[0];
  track.stop();
  track.dispatchEvent(new Event("ended"));
})()"""


def test_stopping_the_screen_share_ends_the_broadcast_or_falls_back_to_the_camera(
    asgi_server, camera_browser, media_root, teacher
):
    session = class_starting_now(teacher)
    url = f"{asgi_server}/sessions/{session.pk}/"
    context, desk = teacher_page(camera_browser, asgi_server, url, init_script=RECORD_SCREENS)
    error = desk.locator("#go-live .go-live-error")

    # The screen alone: nothing left to show, so the broadcast ends cleanly (the replay).
    panel = go_live(desk, "Screen")
    segments_reach(desk, 2)
    desk.evaluate(STOP_SHARING)
    expect(panel).to_have_attribute("data-state", "ended")
    expect(error).to_have_text(
        in_chinese(
            "Screen sharing stopped, so the broadcast has ended. To go on, press Preview "
            "and Start broadcast again."
        )
    )
    expect(panel.get_by_role("button", name=in_chinese("Start broadcast"))).to_be_disabled()
    broadcast = Broadcast.objects.get(session=session)
    assert broadcast.status == Broadcast.Status.ENDED
    assert broadcast.recording.status == "ready"
    sent = int(panel.get_attribute("data-segments"))

    # The screen with the camera inset: the camera fills the picture and the live goes on.
    go_live(desk, "Screen with camera inset")
    segments_reach(desk, sent + 2)
    desk.evaluate(STOP_SHARING)
    expect(error).to_have_text(in_chinese("Screen sharing stopped: students now see your camera."))
    segments_reach(desk, int(panel.get_attribute("data-segments")) + 2)
    assert panel.get_attribute("data-state") == "live"
    assert Broadcast.objects.get(session=session).status == Broadcast.Status.LIVE

    panel.get_by_role("button", name=in_chinese("End broadcast")).click()
    expect(panel).to_have_attribute("data-state", "ended")
    playlist = read_playlist(media_root / broadcast.hls_path)
    assert playlist.ended
    assert [s.discontinuity for s in playlist.segments].count(True) == 1  # the second start
    context.close()
