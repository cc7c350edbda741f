"""Resumable chunked upload of a recorded lesson, through the views, to a ready replay."""

import datetime as dt
import json
import re

import av
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live import chunked, services
from eschool.live.media import make_test_video, read_playlist
from eschool.live.models import Recording
from eschool.org.models import Stage

CHUNK = 64 * 1024


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
    return make_test_video(path, seconds=4, width=320, height=180).read_bytes()


def english(client):
    """Answers in English (the site is Chinese unless the language switch says otherwise)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def start(client, session, name, size, status=201):
    response = client.post(
        reverse("replays:upload_start", args=[session.pk]),
        data=json.dumps({"name": name, "size": size, "last_modified": 1764800000000}),
        content_type="application/json",
    )
    assert response.status_code == status, response.content
    return response.json() if response["Content-Type"] == "application/json" else None


def put(client, url, offset, data):
    return client.put(f"{url}?offset={offset}", data=data, content_type="application/octet-stream")


def test_chunks_in_order_make_a_ready_replay_with_a_master_playlist(
    client, folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    client.force_login(teacher)
    upload = start(client, session, "第一课.mp4", len(clip))
    assert upload["offset"] == 0 and upload["size"] == len(clip)
    assert upload["url"] == f"/live/uploads/{upload['id']}/"
    part = folders / "private" / "uploads" / f"{upload['id']}.part"
    offsets = []
    with django_capture_on_commit_callbacks(execute=True):
        for offset in range(0, len(clip), CHUNK):
            answer = put(client, upload["url"], offset, clip[offset : offset + CHUNK])
            assert answer.status_code == 200, answer.content
            offsets.append(answer.json()["offset"])
    assert offsets[-1] == len(clip)
    assert offsets == [min(len(clip), o + CHUNK) for o in range(0, len(clip), CHUNK)]
    final = answer.json()
    recording = Recording.objects.get(pk=final["recording_id"])
    assert final["progress_url"] == f"/live/recordings/{recording.pk}/progress.json"
    assert not part.exists()

    # The job ran on commit (tests run jobs at once): the replay is published.
    assert recording.status == Recording.Status.READY
    assert recording.source_name == "第一课.mp4"
    assert recording.duration_seconds == pytest.approx(4.0, abs=0.1)
    master = folders / "media" / recording.hls_path
    # A random part in the folder: the URL cannot be guessed from the ids.
    assert re.fullmatch(
        rf"replays/{session.pk}/{recording.pk}-[0-9a-f]{{16}}/master\.m3u8", recording.hls_path
    )
    variant = read_playlist(master).variants[0]
    assert variant["RESOLUTION"] == "320x180"
    media = read_playlist(master.parent / variant["URI"])
    assert media.ended and media.duration == pytest.approx(4.0, abs=0.1)
    assert not list((folders / "private" / "uploads").glob(f"{upload['id']}.mp4"))

    progress = client.get(final["progress_url"]).json()
    assert progress == {
        "id": recording.pk,
        "status": "ready",
        "progress": 1.0,
        "error": "",
        "replay_url": f"/sessions/{session.pk}/",
    }
    # Asking again after the end (a lost answer) says it is complete.
    again = client.get(upload["url"]).json()
    assert again["offset"] == len(clip) and again["recording_id"] == recording.pk


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_size_the_server_has(
    client, folders, session, teacher
):
    client.force_login(teacher)
    upload = start(client, session, "a.mp4", 300)
    assert put(client, upload["url"], 0, b"a" * 100).json()["offset"] == 100
    # Skipping ahead, or sending the same piece twice: nothing written, the size given back.
    for offset in (200, 0, 50):
        refused = put(client, upload["url"], offset, b"b" * 100)
        assert refused.status_code == 409
        assert refused.json()["offset"] == 100
    part = folders / "private" / "uploads" / f"{upload['id']}.part"
    assert part.read_bytes() == b"a" * 100


def test_after_a_dropped_connection_the_upload_resumes_where_the_server_stopped(
    client, folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    client.force_login(teacher)
    upload = start(client, session, "lesson.mp4", len(clip))
    half = len(clip) // 2
    assert put(client, upload["url"], 0, clip[:half]).json()["offset"] == half
    # A reloaded page asks how far the server got, then sends the rest.
    state = client.get(upload["url"])
    assert state.status_code == 200
    assert state.json() == {
        "id": upload["id"],
        "name": "lesson.mp4",
        "size": len(clip),
        "offset": half,
        "recording_id": None,
    }
    with django_capture_on_commit_callbacks(execute=True):
        done = put(client, upload["url"], half, clip[half:])
    assert done.status_code == 200
    recording = Recording.objects.get(pk=done.json()["recording_id"])
    assert recording.status == Recording.Status.READY


def test_a_piece_cut_short_is_not_kept(folders, session, teacher):
    upload = chunked.upload_start(actor=teacher, session=session, name="a.mp4", size=1000)

    class Broken:
        def __init__(self):
            self.sent = False

        def read(self, size):
            if self.sent:
                return b""  # the connection closed before the announced length
            self.sent = True
            return b"x" * 100

    with pytest.raises(chunked.UploadRefused) as refused:
        chunked.upload_append(upload, actor=teacher, offset=0, stream=Broken(), length=500)
    assert refused.value.offset == 0
    assert upload.offset == 0


def test_too_large_and_wrong_types_are_refused_before_any_byte(
    client, folders, session, teacher, settings
):
    settings.ESCHOOL_MAX_VIDEO_BYTES = 1000
    client.force_login(teacher)
    english(client)
    too_large = start(client, session, "big.mp4", 1001, status=413)
    assert too_large["error"] == (
        "This file is larger than 1000\xa0bytes, the largest recording accepted."
    )
    wrong = start(client, session, "notes.pdf", 100, status=400)
    assert wrong["error"] == "Upload a video file: MP4, MOV, WebM or MKV."
    empty = start(client, session, "empty.mp4", 0, status=400)
    assert empty["error"] == "This file is empty."
    assert not list((folders / "private" / "uploads").glob("*"))


def test_pieces_past_the_announced_size_are_refused(client, folders, session, teacher):
    client.force_login(teacher)
    upload = start(client, session, "a.mkv", 150)
    refused = put(client, upload["url"], 0, b"x" * 200)
    assert refused.status_code == 413
    assert refused.json()["offset"] == 0


def test_a_file_that_is_not_a_video_is_refused_after_the_upload_with_a_message(
    client, folders, session, teacher
):
    client.force_login(teacher)
    content = "这不是视频".encode() * 100
    upload = start(client, session, "notes.mp4", len(content))
    refused = put(client, upload["url"], 0, content)
    assert refused.status_code == 422
    with translation.override("zh-hans"):
        assert refused.json()["error"] == "无法读取此文件，它不是可识别的视频。"
    assert Recording.objects.count() == 0
    assert list((folders / "private" / "uploads").iterdir()) == []
    assert client.get(upload["url"]).status_code == 404


def test_a_video_the_job_cannot_package_fails_and_the_page_hears_why(
    client, folders, session, teacher, django_capture_on_commit_callbacks
):
    # A file that passed the quick check but cannot be packaged (here: junk given straight to
    # the service), as a damaged video would: the progress answer carries the message.
    folder = folders / "private" / "uploads"
    folder.mkdir(parents=True)
    (folder / "junk.mp4").write_bytes(b"\x00" * 5000)
    with django_capture_on_commit_callbacks(execute=True):
        recording = services.recording_from_file(
            actor=teacher, session=session, path=folder / "junk.mp4", name="junk.mp4"
        )
    client.force_login(teacher)
    english(client)
    progress = client.get(reverse("replays:progress", args=[recording.pk])).json()
    assert progress == {
        "id": recording.pk,
        "status": "failed",
        "progress": 0.0,
        "error": "This file is not a video we can read.",
        "replay_url": None,
    }
    assert not (folders / "media" / "replays").exists()
    assert not (folder / "junk.mp4").exists()


def test_only_the_teacher_or_an_admin_may_upload_and_only_to_their_own_upload(
    client, folders, session, teacher, student, district_admin
):
    client.force_login(student)
    assert client.get(reverse("replays:upload", args=[session.pk])).status_code == 403
    start(client, session, "a.mp4", 10, status=403)
    client.force_login(district_admin)
    upload = start(client, session, "a.mp4", 10)
    client.force_login(teacher)  # not the one who started it
    assert client.get(upload["url"]).status_code == 404
    assert put(client, upload["url"], 0, b"x" * 10).status_code == 404
    client.logout()
    assert client.get(reverse("replays:upload", args=[session.pk])).status_code == 302


def test_the_upload_page_lists_the_recordings_and_the_plain_form_still_works(
    client, folders, session, teacher, clip, django_capture_on_commit_callbacks
):
    client.force_login(teacher)
    Recording.objects.create(
        session=session, status=Recording.Status.FAILED, source_name="old.mp4", error="x"
    )
    english(client)
    page = client.get(reverse("replays:upload", args=[session.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-start-url="/live/sessions/{session.pk}/uploads/"' in html
    assert 'data-max-bytes="2147483648"' in html
    assert "old.mp4" in html
    assert '<script src="/static/js/upload-video.js" defer></script>' in html

    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            reverse("replays:upload", args=[session.pk]),
            {"file": SimpleUploadedFile("plain.mp4", clip)},
            follow=True,
        )
    assert posted.redirect_chain == [(f"/live/sessions/{session.pk}/upload/", 302)]
    assert [str(m) for m in posted.context["messages"]] == [
        "The recording is uploaded. The replay is being prepared."
    ]
    assert Recording.objects.get(source_name="plain.mp4").status == Recording.Status.READY
    refused = client.post(
        reverse("replays:upload", args=[session.pk]),
        {"file": SimpleUploadedFile("plain.txt", b"hello")},
        follow=True,
    )
    assert [str(m) for m in refused.context["messages"]] == [
        "Upload a video file: MP4, MOV, WebM or MKV."
    ]
    assert Recording.objects.filter(source_name="plain.txt").count() == 0


def test_stale_unfinished_uploads_are_forgotten(folders, session, teacher):
    import os
    import time

    old = chunked.upload_start(actor=teacher, session=session, name="a.mp4", size=10)
    new = chunked.upload_start(actor=teacher, session=session, name="b.mp4", size=10)
    long_ago = time.time() - 4 * 86400
    for path in (old.part, old.meta):
        os.utime(path, (long_ago, long_ago))
    assert chunked.uploads_forget_stale(older_than_days=3) == 1
    assert not old.meta.exists() and new.meta.exists()


def test_pieces_arrive_the_same_through_the_asgi_handler(folders, session, teacher, clip):
    # Production serves the app with uvicorn (ASGI): a piece larger than the 5 MB in-memory
    # limit is read from the request stream there too.
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    client = AsyncClient()
    client.force_login(teacher)
    upload = chunked.upload_start(
        actor=teacher, session=session, name="big.mkv", size=6 * 1024 * 1024 + 5
    )
    url = f"/live/uploads/{upload.id}/?offset=0"
    piece = b"\x1a" * (6 * 1024 * 1024)
    response = async_to_sync(client.put)(url, data=piece, content_type="application/octet-stream")
    assert response.status_code == 200, response.content
    assert response.json()["offset"] == len(piece)
    assert upload.part.read_bytes() == piece


@pytest.fixture(scope="module")
def mov_720p(tmp_path_factory):
    """Two seconds of 1280x720 H.264 + AAC in a QuickTime .mov, as a phone or a Mac records."""
    path = tmp_path_factory.mktemp("mov") / "lesson.mov"
    return make_test_video(path, seconds=2, width=1280, height=720).read_bytes()


def test_a_720p_mov_becomes_a_master_playlist_with_720p_and_360p(
    client, folders, session, teacher, mov_720p, settings, django_capture_on_commit_callbacks
):
    settings.ESCHOOL_REPLAY_RENDITIONS = ((1280, 720), (640, 360))  # the production setting
    client.force_login(teacher)
    upload = start(client, session, "公开课.mov", len(mov_720p))
    piece = 256 * 1024
    with django_capture_on_commit_callbacks(execute=True):
        for offset in range(0, len(mov_720p), piece):
            answer = put(client, upload["url"], offset, mov_720p[offset : offset + piece])
            assert answer.status_code == 200, answer.content
    recording = Recording.objects.get(pk=answer.json()["recording_id"])
    assert recording.status == Recording.Status.READY, recording.error
    assert recording.duration_seconds == pytest.approx(2.0, abs=0.05)

    master = folders / "media" / recording.hls_path
    variants = read_playlist(master).variants
    assert [(v["RESOLUTION"], v["URI"]) for v in variants] == [
        ("1280x720", "720p/index.m3u8"),
        ("640x360", "360p/index.m3u8"),
    ]
    for variant, height in zip(variants, (720, 360), strict=True):
        playlist = read_playlist(master.parent / variant["URI"])
        assert (playlist.playlist_type, playlist.ended) == ("VOD", True)
        assert playlist.target_duration >= max(s.duration for s in playlist.segments)
        assert playlist.duration == pytest.approx(2.0, abs=0.05)
        pictures = sound = 0.0
        for segment in playlist.segments:
            path = master.parent / variant["URI"].rsplit("/", 1)[0] / segment.uri
            with av.open(str(path)) as container:
                video = container.streams.video[0]
                frames = list(container.decode(video))
                assert {(f.width, f.height) for f in frames} == {(height * 16 // 9, height)}
                assert container.streams.audio[0].codec_context.name == "aac"
            with av.open(str(path)) as container:
                sound += sum(f.samples for f in container.decode(audio=0)) / 48000
            pictures += len(frames) / 25
        assert pictures == pytest.approx(2.0, abs=0.001)  # all 50 pictures, none twice
        assert sound == pytest.approx(2.0, abs=0.05)


def test_an_upload_over_a_live_replay_is_announced_and_the_teacher_may_switch_back(
    client, folders, session, teacher, student, clip, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from eschool.live import selectors

    live = Recording.objects.create(
        session=session,
        kind=Recording.Kind.LIVE,
        status=Recording.Status.READY,
        hls_path=f"live/{session.pk}-0123456789abcdef/index.m3u8",
        duration_seconds=170.4,
    )
    client.force_login(teacher)
    english(client)
    page = client.get(reverse("replays:upload", args=[session.pk])).content.decode()
    # Told before choosing a file: what the upload does to the replay students see.
    assert (
        "This session already has a replay (Recorded broadcast). Once ready, your upload "
        "becomes the replay students see; Recorded broadcast is kept, and you can switch back "
        "under “Recordings of this session”."
    ) in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("replays:upload", args=[session.pk]),
            {"file": SimpleUploadedFile("l.mp4", clip)},
        )
    uploaded = Recording.objects.get(source_name="l.mp4")
    assert uploaded.status == Recording.Status.READY
    assert selectors.replay_of(session) == uploaded  # as announced
    assert Recording.objects.filter(pk=live.pk, status=Recording.Status.READY).exists()  # kept
    table = client.get(reverse("replays:upload", args=[session.pk])).content.decode()
    rows = re.findall(r"<tr[^>]*>\s*<td>([^<]+)</td>.*?</tr>", table, re.S)
    assert rows == ["l.mp4", "Recorded broadcast"]
    assert re.search(r'class="current-replay">\s*<td>l\.mp4</td>', table)
    back = reverse("replays:make_replay", args=[live.pk])
    assert f'action="{back}"' in table

    client.force_login(student)
    assert client.post(back).status_code == 403
    assert selectors.replay_of(session) == uploaded

    client.force_login(teacher)
    english(client)
    switched = client.post(back, follow=True)
    assert [str(m) for m in switched.context["messages"]] == [
        "Students now see Recorded broadcast as this session's replay."
    ]
    assert selectors.replay_of(session) == live
    assert selectors.playlist_paths_of([session.pk]) == {session.pk: live.hls_path}
    watched = client.get(reverse("classroom:session", args=[session.pk])).content.decode()
    assert f'data-replay-url="/media/{live.hls_path}"' in watched
