"""Uploaded recordings: kept privately, packaged to an HLS replay by the job, refused when broken."""

import datetime as dt
import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live import selectors, services, tasks
from eschool.live.media import make_test_video, read_playlist
from eschool.live.models import Recording
from eschool.org.models import Stage


@pytest.fixture
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"
    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)
    return tmp_path


@pytest.fixture
def session(teacher):
    day = dt.date(2026, 12, 7)
    return Session.objects.create(
        day=day,
        starts_at=timeutil.at_local(day, dt.time(8, 0)),
        ends_at=timeutil.at_local(day, dt.time(8, 40)),
        title="分数的加减",
        stage=Stage.JUNIOR,
        teacher=teacher.teacher,
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "lesson.mp4"
    return make_test_video(path, seconds=5, width=320, height=180).read_bytes()


def upload(actor, session, name, content, django_capture_on_commit_callbacks):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    # The job is queued after the commit; the test runs it itself, so drop the callback.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recording = services.recording_upload(actor=actor, session=session, uploaded_file=file)
    assert len(callbacks) == 1
    return recording


def test_an_uploaded_lesson_becomes_a_ready_replay(
    folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    recording = upload(teacher, session, "第一课.mp4", clip, django_capture_on_commit_callbacks)
    assert recording.status == Recording.Status.PROCESSING
    assert recording.source_name == "第一课.mp4"
    source = folders / "private" / "uploads" / recording.upload_path
    assert source.read_bytes() == clip
    assert not (folders / "media").exists()  # never public while waiting

    services.recording_package(recording_id=recording.pk)

    recording.refresh_from_db()
    assert recording.status == Recording.Status.READY
    assert recording.progress == 1.0
    assert recording.error == ""
    assert recording.duration_seconds == pytest.approx(5.0, abs=0.1)
    # A random part in the folder: the URL cannot be guessed from the ids.
    assert re.fullmatch(
        rf"replays/{session.pk}/{recording.pk}-[0-9a-f]{{16}}/master\.m3u8", recording.hls_path
    )
    master = folders / "media" / recording.hls_path
    variants = read_playlist(master).variants
    assert [v["RESOLUTION"] for v in variants] == ["320x180"]
    assert read_playlist(master.parent / variants[0]["URI"]).ended
    assert not source.exists()
    assert recording.upload_path == ""


def test_progress_is_written_at_most_every_five_percent(
    folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    recording = upload(teacher, session, "a.mp4", clip, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as queries:
        services.recording_package(recording_id=recording.pk)
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "live_recording"')]
    # The claim, progress steps of at least 5 % below 100 % (at most 19), 1.0, the outcome.
    assert 4 <= len(updates) <= 22


def test_a_text_file_is_refused_with_a_message_and_no_replay(
    folders, session, teacher, django_capture_on_commit_callbacks
):
    recording = upload(
        teacher,
        session,
        "notes.mp4",
        "这不是视频".encode() * 100,
        django_capture_on_commit_callbacks,
    )
    source = folders / "private" / "uploads" / recording.upload_path
    services.recording_package(recording_id=recording.pk)
    recording.refresh_from_db()
    assert recording.status == Recording.Status.FAILED
    assert recording.error == "This file is not a video we can read."
    assert recording.hls_path == ""
    with translation.override("zh-hans"):
        assert recording.error_message == "无法读取此文件，它不是可识别的视频。"
    with translation.override("en"):
        assert recording.error_message == "This file is not a video we can read."
    assert not (folders / "media" / "replays").exists()
    assert not source.exists()


def test_a_student_cannot_upload(folders, session, student):
    file = SimpleUploadedFile("a.mp4", b"x")
    with pytest.raises(PermissionDenied):
        services.recording_upload(actor=student, session=session, uploaded_file=file)
    assert Recording.objects.count() == 0
    assert not (folders / "private").exists()


def test_a_district_admin_can_upload_and_the_job_is_a_huey_task(
    folders, session, district_admin, django_capture_on_commit_callbacks
):
    recording = upload(district_admin, session, "a.webm", b"x", django_capture_on_commit_callbacks)
    assert recording.session == session
    assert callable(tasks.package_recording.call_local)
    tasks.package_recording.call_local(recording.pk)
    recording.refresh_from_db()
    assert recording.status == Recording.Status.FAILED


def test_the_session_page_shows_the_latest_ready_replay(client, session, district_admin):
    Recording.objects.create(session=session, status=Recording.Status.FAILED, error="x")
    ready = Recording.objects.create(
        session=session,
        status=Recording.Status.READY,
        progress=1.0,
        hls_path=f"replays/{session.pk}/7/master.m3u8",
        duration_seconds=5.0,
    )
    assert selectors.replay_of(session) == ready
    client.force_login(district_admin)  # sees the day before it is published
    page = client.get(reverse("classroom:session", args=[session.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-replay-url="/media/replays/{session.pk}/7/master.m3u8"' in html
    # hls.js for browsers without native HLS, served by eSchool itself (no CDN).
    assert '<script src="/static/vendor/hls/hls.light.min.js" defer></script>' in html
    assert client.get("/static/vendor/hls/hls.light.min.js").status_code == 200
    assert client.get("/static/js/player.js").status_code == 200


# A packaging job whose worker was killed -------------------------------------------------


def killed_mid_way(recording, *, attempts: int, at) -> Path:
    """What a worker killed while packaging leaves: the recording claimed and still
    processing, last moved at `at`, and a half-written work folder nobody will publish."""
    Recording.objects.filter(pk=recording.pk).update(attempts=attempts, progress=0.3, updated_at=at)
    work = Path(settings.MEDIA_ROOT) / "replays" / str(recording.session_id)
    work = work / f".{recording.pk}-0123456789abcdef.deadbeef.part"
    (work / "360p").mkdir(parents=True)
    (work / "360p" / "seg-00000.ts").write_bytes(b"half a segment")
    return work


MOVED = timeutil.at_local(dt.date(2026, 12, 7), dt.time(9, 0))


def test_a_stalled_packaging_job_is_queued_again_and_the_replay_is_made(
    folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    recording = upload(teacher, session, "第一课.mp4", clip, django_capture_on_commit_callbacks)
    left = killed_mid_way(recording, attempts=1, at=MOVED)

    with timeutil.frozen_at(MOVED + dt.timedelta(minutes=19)):
        assert tasks.retry_stalled_packaging.call_local() == (0, 0)  # it may still be working
    with (
        timeutil.frozen_at(MOVED + dt.timedelta(minutes=21)),
        django_capture_on_commit_callbacks(execute=True),  # the job runs at once in tests
    ):
        assert tasks.retry_stalled_packaging.call_local() == (1, 0)

    recording.refresh_from_db()
    assert (recording.status, recording.attempts, recording.progress) == ("ready", 2, 1.0)
    assert not left.exists()
    master = folders / "media" / recording.hls_path
    assert read_playlist(master.parent / read_playlist(master).variants[0]["URI"]).ended
    assert selectors.replay_of(session) == recording
    assert not list((folders / "private" / "uploads").iterdir())  # the upload is gone


def test_a_recording_whose_job_stalled_too_often_fails_with_a_message(
    client, folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    recording = upload(teacher, session, "第一课.mp4", clip, django_capture_on_commit_callbacks)
    left = killed_mid_way(recording, attempts=services.PACKAGING_ATTEMPTS, at=MOVED)

    with (
        timeutil.frozen_at(MOVED + dt.timedelta(minutes=21)),
        django_capture_on_commit_callbacks(execute=True) as queued,
    ):
        assert services.recordings_retry_stalled() == (0, 1)
    assert queued == []

    recording.refresh_from_db()
    assert (recording.status, recording.hls_path, recording.upload_path) == ("failed", "", "")
    with translation.override("en"):
        assert recording.error_message == (
            "The recording could not be processed: its job stopped several times. "
            "Please upload it again."
        )
    assert not left.exists()
    assert not list((folders / "private" / "uploads").iterdir())
    assert selectors.replay_of(session) is None
    # The teacher's upload page says why (it polls the progress).
    client.force_login(teacher)
    progress = client.get(reverse("replays:progress", args=[recording.pk])).json()
    with translation.override("zh-hans"):
        expected = translation.gettext(services.STALLED_FAILURE)
    assert (progress["status"], progress["error"]) == ("failed", expected)


def test_a_job_queued_twice_packages_once(
    folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    recording = upload(teacher, session, "a.mp4", clip, django_capture_on_commit_callbacks)
    # The stall check queued a job that was only waiting: both say "attempt 0".
    Recording.objects.filter(pk=recording.pk).update(attempts=1)  # one of them started
    services.recording_package(recording_id=recording.pk, attempt=0)
    recording.refresh_from_db()
    assert (recording.status, recording.attempts) == ("processing", 1)
    assert (folders / "private" / "uploads" / recording.upload_path).exists()
    assert not (folders / "media").exists()


def test_uploads_nobody_continued_are_forgotten_every_night(folders, session, teacher):
    from eschool.live import chunked

    assert tasks.forget_stale_uploads.call_local() == 0
    old = chunked.upload_start(actor=teacher, session=session, name="a.mp4", size=10)
    long_ago = time.time() - 4 * 86400
    for path in (old.part, old.meta):
        os.utime(path, (long_ago, long_ago))
    assert tasks.forget_stale_uploads.call_local() == 1
    # A periodic job, once a day.
    start = dt.datetime(2026, 12, 7)
    runs = [
        minute
        for minute in range(24 * 60)
        if tasks.forget_stale_uploads.task_class().validate_datetime(
            start + dt.timedelta(minutes=minute)
        )
    ]
    assert len(runs) == 1
    stalls = [
        minute
        for minute in range(60)
        if tasks.retry_stalled_packaging.task_class().validate_datetime(
            start + dt.timedelta(minutes=minute)
        )
    ]
    assert stalls == [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]
