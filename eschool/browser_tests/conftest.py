"""Browser tests: Playwright's sync API driving Debian's Chromium against a live server.

Without /usr/bin/chromium the tests are skipped with a printed reason, except
in CI (CI=true), where a missing browser is a failure.
"""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    print(f"SKIPPED: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    _require_chromium()
    from django.db import connections

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made
    # by the test itself (fixtures, assertions) are still synchronous and safe. Set only
    # once the browser starts, so the rest of the suite keeps Django's async checks.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    # While Playwright runs, code runs in another context, where Django's
    # (context-local) connections are new objects: hand them the snapshot of the
    # test database that serialized_rollback restores before each browser test.
    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in snapshots.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(chromium, viewport=PHONE):
    """A page in a browser context of its own (its own cookies), in Chinese; (context, page):
    the test closes the context."""
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, page


@pytest.fixture
def phone_page(chromium, live_server):
    context, page = new_page(chromium, PHONE)
    yield page
    context.close()


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def any_page(request, chromium, live_server):
    context, page = new_page(chromium, request.param)
    yield page
    context.close()


def log_in(page, base_url: str, username: str) -> None:
    """Log in through the login form with the personas' password; returns once logged in."""
    from playwright.sync_api import expect

    from eschool.core.testing import PASSWORD

    page.goto(base_url + "/accounts/login/")
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill(username)
    page.get_by_label(in_chinese("Password")).fill(PASSWORD)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    expect(page.get_by_role("button", name=in_chinese("Log out"), exact=True)).to_be_visible()


def log_in_by_cookie(page, base_url: str, user) -> None:
    """`user` logged in on the page's browser context by a session cookie, without the form."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )


def assert_fits_a_phone(page) -> None:
    """The page is no wider than a phone, and nothing marked `hidden` shows (a class that
    sets `display` would otherwise win over the attribute, as `.button` once did)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px wide"
    shown = page.evaluate(
        "[...document.querySelectorAll('[hidden]')]"
        ".filter(e => getComputedStyle(e).display !== 'none')"
        ".map(e => e.outerHTML.slice(0, 80))"
    )
    assert shown == [], f"{page.url} shows hidden elements: {shown}"


def in_chinese(msgid: str) -> str:
    """What the default (Chinese) page shows for `msgid`, from the same catalogue the site uses."""
    from django.utils import translation

    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    # A missing translation would make the test look for the English text and hide the gap.
    assert text != msgid or re.search(r"[\u4e00-\u9fff]", msgid), (
        f"no Chinese translation for {msgid!r}: add it to locale/zh_Hans (make messages)"
    )
    return text


@pytest.fixture
def media_root(settings, tmp_path):
    # Uploaded spreadsheets wait in a private folder between preview and commit.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def asgi_server(transactional_db, media_root):
    """The whole ASGI application (HTTP and WebSockets) served by uvicorn in a thread.

    Django's live_server speaks only HTTP; pages that open WebSockets need this one. It shares
    the test database and settings with the test, and is stopped after it.
    """
    import socket
    import threading

    import uvicorn
    from channels.layers import channel_layers

    from config.asgi import application

    # A server of its own layer: one that an earlier test's server still shutting down holds
    # (channels_redis keeps its receive lock on the layer) would bind that lock to its own
    # event loop, and this server's sockets would fail with "bound to a different event loop".
    channel_layers.backends.clear()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", ws="auto")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    import time

    deadline = time.monotonic() + 15
    while not server.started:  # waits for readiness, not for a guessed time
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the ASGI test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    if thread.is_alive():
        # Still waiting for sockets or tasks to finish: stop without waiting, so that no server
        # of this test runs into the next one.
        server.force_exit = True
        thread.join(timeout=10)


def session_of_yesterday(actor, *, title: str = "光的折射", **fields):
    """A grade-7 junior session of yesterday 8:00-8:40 created by `actor`; other fields as given."""
    import datetime as dt

    from eschool.classroom.services import session_create
    from eschool.core import timeutil
    from eschool.org.models import Grade, Stage

    yesterday = timeutil.today() - dt.timedelta(days=1)
    return session_create(
        actor=actor,
        starts_at=timeutil.at_local(yesterday, dt.time(8, 0)),
        ends_at=timeutil.at_local(yesterday, dt.time(8, 40)),
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
        title=title,
        **fields,
    )


@pytest.fixture
def replay_of_yesterday(district_admin, media_root, settings, tmp_path):
    """Makes session_of_yesterday(...) with an uploaded replay of `seconds` s, packaged at once
    (jobs run at once in tests) in one small rendition."""
    from django.core.files import File

    from eschool.live import services as live_services
    from eschool.live.media import make_test_video

    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)

    def make(*, seconds: int, **fields):
        session = session_of_yesterday(district_admin, **fields)
        clip = make_test_video(tmp_path / "lesson.mp4", seconds=seconds, width=320, height=180)
        with clip.open("rb") as upload:
            live_services.recording_upload(
                actor=district_admin, session=session, uploaded_file=File(upload, name=clip.name)
            )
        return session

    return make
