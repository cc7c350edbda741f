"""A replay plays on the session page in Chromium, through hls.js served by eSchool itself."""

import datetime as dt

import pytest

from eschool.core import timeutil
from eschool.live.models import Recording
from eschool.org.models import Stage

from .conftest import log_in_by_cookie, new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_replay_plays_and_seeks_on_a_phone(phone_page, live_server, replay_of_yesterday):
    session = replay_of_yesterday(seconds=6)
    # The packaging job was enqueued on commit; in tests jobs run at once.
    assert Recording.objects.get(session=session).status == "ready"

    page = phone_page
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.wait_for_function("window.Hls !== undefined")
    page.evaluate("const v = document.querySelector('video'); v.muted = true; v.play()")
    page.wait_for_function("document.querySelector('video').currentTime > 1")
    assert page.evaluate("document.querySelector('video').duration") == pytest.approx(6, abs=0.2)

    page.evaluate("document.querySelector('video').currentTime = 4")
    page.wait_for_function("document.querySelector('video').currentTime >= 4.2")


def _context(chromium, user=None, *, url):
    context, page = new_page(chromium)
    if user is not None:
        log_in_by_cookie(page, url, user)
    return context, page


def _play_to(page, seconds: float):
    page.wait_for_function("window.Hls !== undefined")
    page.evaluate(
        "const v = document.querySelector('video'); v.muted = true; v.playbackRate = 2; v.play()"
    )
    page.wait_for_function(f"document.querySelector('video').currentTime > {seconds}")
    with page.expect_response(lambda r: r.url.endswith("/watch/heartbeats")) as sent:
        page.evaluate("document.querySelector('video').pause()")
    assert sent.value.status == 202
    return page.evaluate("document.querySelector('video').currentTime")


def test_a_student_continues_on_the_laptop_where_the_phone_stopped(
    chromium, live_server, student, replay_of_yesterday
):
    from playwright.sync_api import expect

    from eschool.watching.services import heartbeats_fold

    session = replay_of_yesterday(seconds=20)
    url = f"{live_server.url}/sessions/{session.pk}/"

    phone_context, phone = _context(chromium, student, url=live_server.url)
    phone.goto(url)
    stopped_at = _play_to(phone, 7)
    phone_context.close()
    heartbeats_fold()  # what the periodic task does every minute

    laptop_context, laptop = _context(chromium, student, url=live_server.url)
    laptop.goto(url)
    offer = laptop.locator(".replay-resume button")
    expect(offer).to_contain_text(f"00:{int(stopped_at):02d}")
    offer.click()
    laptop.wait_for_function(
        f"document.querySelector('video').currentTime >= {int(stopped_at)} - 0.1"
    )
    assert laptop.locator(".replay-resume").is_hidden()
    laptop_context.close()


def test_a_visitor_continues_only_in_the_same_browser(chromium, live_server, replay_of_yesterday):
    from playwright.sync_api import expect

    session = replay_of_yesterday(seconds=20)
    url = f"{live_server.url}/sessions/{session.pk}/"

    context, page = _context(chromium, url=live_server.url)
    page.goto(url)
    stopped_at = _play_to(page, 7)
    page.reload()
    expect(page.locator(".replay-resume button")).to_contain_text(f"00:{int(stopped_at):02d}")
    context.close()

    other_context, other = _context(chromium, url=live_server.url)
    with other.expect_response(lambda r: r.url.endswith("/resume.json")) as asked:
        other.goto(url)
    assert asked.value.json() == {"signed_in": False, "position": None, "seen_at": None}
    assert other.locator(".replay-resume").is_hidden()
    other_context.close()


def test_the_replay_tools_appear_when_the_live_turns_into_the_replay(
    chromium, live_server, teacher, media_root
):
    """No reload: the page was live when opened; when the broadcast ends its player turns to
    the replay, and the speed buttons, the chapters and (for the teacher) the chapter form
    come with it."""
    from django.core.cache import cache
    from playwright.sync_api import expect

    from eschool.classroom.models import Session
    from eschool.live.models import Broadcast, Chapter, Recording

    now = timeutil.now()
    event = Session.objects.create(
        day=timeutil.today(),
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(minutes=30),
        title="升旗仪式",
        stage=Stage.JUNIOR,
        kind=Session.Kind.EVENT,
        teacher=teacher.teacher,
    )
    playlist = f"live/{event.pk}/index.m3u8"
    broadcast = Broadcast.objects.create(
        session=event, status=Broadcast.Status.LIVE, hls_path=playlist
    )
    viewer_context, viewer = _context(chromium, url=live_server.url)
    teacher_context, master = _context(chromium, teacher, url=live_server.url)
    pages = (viewer, master)
    for page in pages:
        page.goto(f"{live_server.url}/sessions/{event.pk}/")
        page.evaluate("window.notReloaded = true")
        assert page.evaluate("document.getElementById('live').dataset.view") == "live"
        assert page.locator(".replay-tools").count() == 0

    recording = Recording.objects.create(
        session=event,
        kind=Recording.Kind.LIVE,
        status=Recording.Status.READY,
        hls_path=playlist,
        duration_seconds=600.0,
    )
    Chapter.objects.create(recording=recording, at_seconds=65, title="奏国歌")
    broadcast.status = Broadcast.Status.ENDED
    broadcast.recording = recording
    broadcast.save(update_fields=["status", "recording"])
    cache.clear()  # the shared state and page are cached for a few seconds

    for page in pages:
        page.wait_for_function("document.getElementById('live').dataset.view === 'replay'")
        tools = page.locator(".replay-tools")
        expect(tools).to_be_visible(timeout=20_000)
        expect(tools.locator("button.chapter")).to_contain_text("奏国歌")
        tools.locator("button.speed[data-speed='1.5']").click()
        assert page.evaluate("document.querySelector('video').playbackRate") == 1.5
        expect(tools.locator("button.speed[data-speed='1.5']")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert page.evaluate("window.notReloaded") is True
    assert viewer.locator(".chapter-form").count() == 0
    # The teacher's chapter form works in the tools that came without a reload (htmx).
    form = master.locator(".chapter-form")
    form.locator("input[name=at]").fill("02:00")
    form.locator("input[name=title]").fill("国旗下讲话")
    form.locator("button[type=submit]").click()
    expect(master.locator(".replay-tools button.chapter")).to_have_count(2)
    assert master.evaluate("window.notReloaded") is True
    assert list(Chapter.objects.values_list("title", flat=True)) == ["奏国歌", "国旗下讲话"]
    viewer_context.close()
    teacher_context.close()


@pytest.mark.parametrize("paused", [True, False], ids=["paused", "playing"])
def test_a_reload_seconds_after_leaving_offers_to_continue_where_it_stopped(
    chromium, live_server, student, replay_of_yesterday, paused
):
    from playwright.sync_api import expect

    from eschool.watching.models import WatchSection
    from eschool.watching.services import heartbeats_fold

    session = replay_of_yesterday(seconds=20)
    url = f"{live_server.url}/sessions/{session.pk}/"
    context, page = _context(chromium, student, url=live_server.url)
    page.goto(url)
    _play_to(page, 3)
    heartbeats_fold()
    page.evaluate("document.querySelector('video').currentTime = 10")
    page.wait_for_function("document.querySelector('video').readyState >= 3")
    page.evaluate("const v = document.querySelector('video'); v.playbackRate = 1; v.play()")
    page.wait_for_function("document.querySelector('video').currentTime > 13")
    if paused:
        page.evaluate("document.querySelector('video').pause()")
    stopped_at = page.evaluate("document.querySelector('video').currentTime")
    page.reload()  # while playing: the page's last word is the beacon on pagehide
    expect(page.locator(".replay-resume button")).to_contain_text(f"00:{int(stopped_at):02d}")
    heartbeats_fold()
    ends = [s.end_s for s in WatchSection.objects.filter(session=session)]
    # The 10 -> 13 s stretch is recorded once, up to where the page was left.
    assert [end for end in ends if end > 10] == [pytest.approx(stopped_at, abs=0.5)], ends
    context.close()
