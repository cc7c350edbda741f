"""The session page's player on a phone: a countdown on the server's clock (the phone's may be
wrong), then live, then the replay, switched by polling status.json without a reload; no page
scrolls sideways at 375 px, the teacher's go-live panel included."""

import datetime as dt

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live.models import Broadcast, Recording
from eschool.org.models import Grade, Stage

from .conftest import PHONE, assert_fits_a_phone, in_chinese, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DAY = dt.date(2026, 12, 7)


@pytest.fixture
def server_clock(monkeypatch):
    """The server's clock (timeutil.now, read by the server thread too) at 07:50 on DAY."""
    moment = timeutil.at_local(DAY, dt.time(7, 50))
    monkeypatch.setattr(timeutil, "_frozen", moment.astimezone(dt.UTC))
    return moment


def make_event(teacher=None) -> Session:
    session = Session.objects.create(
        day=DAY,
        starts_at=timeutil.at_local(DAY, dt.time(8, 0)),
        ends_at=timeutil.at_local(DAY, dt.time(8, 40)),
        title="升旗仪式",
        stage=Stage.JUNIOR,
        kind=Session.Kind.EVENT,
        teacher=teacher.teacher if teacher is not None else None,
    )
    session.grades.set([Grade.objects.get(level=7)])
    return session


def test_countdown_then_live_then_replay_without_a_reload(
    chromium, live_server, server_clock, media_root
):
    event = make_event()
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    # This phone's clock is three hours fast: the countdown must not believe it.
    context.add_init_script(
        "(() => { const real = Date.now; Date.now = () => real() + 3 * 3600 * 1000; })()"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/sessions/{event.pk}/")
    page.evaluate("window.notReloaded = true")

    countdown = page.locator("[data-countdown]")
    expect(countdown).to_be_visible()
    page.wait_for_function(
        "/^00:(09:[0-5][0-9]|10:00)$/.test(document.querySelector('[data-countdown]').textContent)"
    )
    expect(page.locator(".live-frame")).to_be_hidden()
    assert_fits_a_phone(page)

    # The teacher pressed Start; no segment yet, so no playlist to ask for.
    playlists = []
    page.on("request", lambda request: ".m3u8" in request.url and playlists.append(request.url))
    Broadcast.objects.create(
        session=event,
        status=Broadcast.Status.LIVE,
        hls_path=f"live/{event.pk}/index.m3u8",
        awaiting_first_segment=True,
    )
    cache.clear()
    page.wait_for_function("document.getElementById('live').dataset.view === 'starting'")
    expect(page.locator(".live-starting")).to_be_visible()  # 直播即将开始…
    expect(countdown).to_be_hidden()
    expect(page.locator(".live-frame")).to_be_hidden()
    assert playlists == []

    Broadcast.objects.filter(session=event).update(awaiting_first_segment=False)
    cache.clear()
    page.wait_for_function("document.getElementById('live').dataset.view === 'live'")
    expect(page.locator(".live-starting")).to_be_hidden()
    expect(page.locator(".live-badge")).to_have_text(in_chinese("Live now"))
    expect(page.locator(".live-frame")).to_be_visible()
    expect(countdown).to_be_hidden()
    assert page.locator("video").get_attribute("data-mode") == "live"
    assert_fits_a_phone(page)

    recording = Recording.objects.create(
        session=event,
        kind=Recording.Kind.LIVE,
        status=Recording.Status.READY,
        hls_path=f"live/{event.pk}/index.m3u8",
    )
    Broadcast.objects.filter(session=event).update(
        status=Broadcast.Status.ENDED, recording=recording
    )
    cache.clear()
    page.wait_for_function("document.getElementById('live').dataset.view === 'replay'")
    assert page.locator("video").get_attribute("data-mode") == "replay"
    expect(page.locator(".live-badge")).to_be_hidden()
    assert page.evaluate("window.notReloaded") is True
    assert_fits_a_phone(page)
    context.close()


def test_the_go_live_panel_fits_a_phone_and_every_control_has_a_label(
    chromium, live_server, server_clock, teacher
):
    event = make_event(teacher)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server.url, "T0001")
    page.goto(f"{live_server.url}/sessions/{event.pk}/")

    panel = page.locator("#go-live")
    expect(panel.get_by_role("heading", name=in_chinese("Go live"))).to_be_visible()
    for name in ("Camera", "Screen", "Screen with camera inset"):
        expect(panel.get_by_role("radio", name=in_chinese(name), exact=True)).to_be_visible()
    expect(panel.get_by_label(in_chinese("Microphone"), exact=True)).to_be_visible()
    expect(panel.get_by_label(in_chinese("Microphone level"))).to_be_visible()
    # Nothing to broadcast until the teacher has a preview.
    expect(panel.get_by_role("button", name=in_chinese("Start broadcast"))).to_be_disabled()
    expect(panel.get_by_role("button", name=in_chinese("End broadcast"))).to_be_disabled()
    assert not Broadcast.objects.filter(session=event).exists()  # the page only read
    panel.get_by_text(in_chinese("Broadcast with OBS instead")).click()
    # The key is made on request (a POST), then shown with the OBS settings open.
    panel.get_by_role("button", name=in_chinese("Show the stream key")).click()
    key = page.locator("#go-live .stream-key")
    expect(key).to_be_visible()
    expect(key).to_have_text(Broadcast.objects.get(session=event).stream_key)
    assert_fits_a_phone(page)
    context.close()
