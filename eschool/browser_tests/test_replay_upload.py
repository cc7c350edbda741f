"""A teacher uploads a recorded lesson on a phone; a dropped piece is sent again; it becomes the
session's replay, which plays, changes speed and gets a chapter that seeks."""

import pytest
from playwright.sync_api import expect

from eschool.live import upload_views
from eschool.live.media import make_test_video, read_playlist
from eschool.live.models import Chapter, Recording

from .conftest import assert_fits_a_phone, in_chinese, log_in, session_of_yesterday

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "光的折射"
PIECE = 32 * 1024


@pytest.fixture
def session(district_admin, teacher):
    return session_of_yesterday(district_admin, title=TITLE, teacher=teacher.teacher)


def test_an_uploaded_lesson_becomes_a_replay_that_plays(
    phone_page, live_server, teacher, session, media_root, settings, tmp_path, monkeypatch
):
    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)
    # Small pieces, so that this small file goes in several of them.
    monkeypatch.setattr(upload_views, "CHUNK_BYTES", PIECE)
    clip = make_test_video(tmp_path / "第三课.mp4", seconds=6, width=320, height=180)
    size = clip.stat().st_size
    assert size > 3 * PIECE

    page = phone_page
    # The third piece's connection drops once: the page asks the server and sends it again.
    dropped = []

    def drop_once(route):
        third = route.request.method == "PUT" and f"offset={2 * PIECE}" in route.request.url
        if third and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/live/uploads/**", drop_once)
    log_in(page, live_server.url, teacher.username)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.get_by_role("link", name=in_chinese("Upload a recorded lesson")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        in_chinese("Upload a recorded lesson")
    )
    assert_fits_a_phone(page)

    page.get_by_label(in_chinese("Video file")).set_input_files(str(clip))
    page.get_by_role("button", name=in_chinese("Upload"), exact=True).click()
    done = page.get_by_role("link", name=in_chinese("Watch the replay"))
    expect(done).to_be_visible(timeout=60_000)
    assert len(dropped) == 1
    assert page.locator("#upload-bar").evaluate("bar => bar.value") == 100
    assert page.locator("#packaging-bar").evaluate("bar => bar.value") == 100
    expect(page.locator(".packaging-status")).to_have_text(in_chinese("The replay is ready."))
    # The recordings table is refreshed without a reload: the upload, marked as the replay.
    expect(page.locator("#session-recordings tr.current-replay td").first).to_have_text(
        "第三课.mp4"
    )
    assert_fits_a_phone(page)
    # Nothing left in this browser to resume.
    assert (
        page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('eschool-upload:'))")
        == []
    )

    recording = Recording.objects.get(session=session)
    assert recording.status == Recording.Status.READY
    assert recording.source_name == "第三课.mp4"
    master = media_root / recording.hls_path
    assert read_playlist(master.parent / read_playlist(master).variants[0]["URI"]).ended

    done.click()
    video = page.locator(f'video[data-session-id="{session.pk}"]')
    expect(video).to_have_attribute("data-mode", "replay")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("document.querySelector('video').currentTime > 1")
    assert video.evaluate("v => v.duration") == pytest.approx(6, abs=0.2)

    speed = page.get_by_role("button", name="2×")
    speed.click()
    expect(speed).to_have_attribute("aria-pressed", "true")
    assert video.evaluate("v => v.playbackRate") == 2

    # The teacher adds a chapter at 00:04 (htmx), then clicks it to jump there.
    page.get_by_label(in_chinese("Time (mm:ss)")).fill("00:04")
    page.get_by_label(in_chinese("Chapter title")).fill("结论")
    page.get_by_role("button", name=in_chinese("Add chapter")).click()
    chapter = page.get_by_role("button", name="00:04 结论")
    expect(chapter).to_be_visible()
    assert Chapter.objects.get().at_seconds == 4
    video.evaluate("v => v.pause()")
    chapter.click()
    page.wait_for_function("Math.abs(document.querySelector('video').currentTime - 4) < 1")
    assert_fits_a_phone(page)


def test_a_reloaded_page_continues_the_upload_where_the_server_stopped(
    phone_page, live_server, teacher, session, media_root, settings, tmp_path, monkeypatch
):
    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)
    monkeypatch.setattr(upload_views, "CHUNK_BYTES", PIECE)
    clip = make_test_video(tmp_path / "lesson.mp4", seconds=6, width=320, height=180)
    page = phone_page
    offsets = []
    line_down = [True]

    def network(route):
        if route.request.method == "PUT":
            offset = int(route.request.url.rsplit("offset=", 1)[1])
            offsets.append(offset)
            if line_down[0] and offset >= 2 * PIECE:
                route.abort("internetdisconnected")
                return
        route.continue_()

    page.route("**/live/uploads/**", network)
    log_in(page, live_server.url, teacher.username)
    page.goto(f"{live_server.url}/live/sessions/{session.pk}/upload/")
    page.get_by_label(in_chinese("Video file")).set_input_files(str(clip))
    page.get_by_role("button", name=in_chinese("Upload"), exact=True).click()
    expect(page.locator(".upload-status")).to_have_text(
        in_chinese("The connection was lost. Trying again…")
    )
    assert offsets[:3] == [0, PIECE, 2 * PIECE]

    # The teacher gives up waiting and reloads; the page knows the upload was cut short.
    line_down[0] = False
    page.reload()
    expect(page.locator(".interrupted")).to_contain_text("lesson.mp4 (")
    sent_before = len(offsets)
    page.get_by_label(in_chinese("Video file")).set_input_files(str(clip))
    page.get_by_role("button", name=in_chinese("Upload"), exact=True).click()
    expect(page.get_by_role("link", name=in_chinese("Watch the replay"))).to_be_visible(
        timeout=60_000
    )
    # It went on from the server's size: the first two pieces were not sent again.
    assert offsets[sent_before] == 2 * PIECE
    assert 0 not in offsets[sent_before:]
    recording = Recording.objects.get(session=session)
    assert recording.status == Recording.Status.READY
    assert recording.duration_seconds == pytest.approx(6, abs=0.2)


def test_a_file_that_is_not_a_video_is_refused_without_a_finished_progress_line(
    phone_page, live_server, teacher, session, media_root, tmp_path
):
    import os
    import re

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(os.urandom(20 * 1024))
    page = phone_page
    log_in(page, live_server.url, teacher.username)
    page.goto(f"{live_server.url}/live/sessions/{session.pk}/upload/")
    # Every text the progress line shows, to read it after the refusal replaced it.
    page.evaluate(
        """() => { const line = document.querySelector('.upload-status'); window.shown = [];
        new MutationObserver(() => window.shown.push(line.textContent))
          .observe(line, {childList: true, characterData: true, subtree: true}); }"""
    )
    page.get_by_label(in_chinese("Video file")).set_input_files(str(broken))
    page.get_by_role("button", name=in_chinese("Upload"), exact=True).click()
    expect(page.locator(".upload-error")).to_have_text(
        in_chinese("This file is not a video we can read.")
    )
    expect(page.locator(".upload-progress")).to_be_hidden()
    shown = page.evaluate("window.shown")
    assert shown and all("0.0 MB" not in text for text in shown), shown
    assert re.search(r"· 20 KB \S+ 20 KB", shown[-1]), shown
    assert not Recording.objects.filter(session=session, status=Recording.Status.READY).exists()
