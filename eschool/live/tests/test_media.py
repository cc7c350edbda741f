"""The media core on real files: a 9 s test video packaged to HLS and read back with PyAV."""

import math
from pathlib import Path

import av
import pytest
from django.utils import translation

from eschool.live.media import (
    MediaRefused,
    make_test_video,
    package_vod,
    read_clock,
    read_playlist,
)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vod")
    source = make_test_video(folder / "lesson.mp4", seconds=9, width=320, height=180)
    progress: list[float] = []
    master = package_vod(
        source,
        folder / "replay",
        renditions=((1280, 720), (320, 180), (160, 90)),
        segment_seconds=4,
        on_progress=progress.append,
    )
    return master, progress


def test_the_test_video_carries_its_clock_and_a_tone(tmp_path):
    path = make_test_video(tmp_path / "clip.mp4", seconds=3, width=320, height=180, fps=25)
    with av.open(str(path)) as container:
        assert container.duration / av.time_base == pytest.approx(3.0, abs=0.05)
        assert [s.codec_context.name for s in container.streams] == ["h264", "aac"]
        frames = list(container.decode(video=0))
    assert len(frames) == 75
    assert [read_clock(frames[i]) for i in (0, 1, 50, 74)] == [0.0, 0.04, 2.0, 2.96]
    assert [i for i, frame in enumerate(frames) if frame.key_frame] == [0, 50]


def test_the_master_lists_the_renditions_that_fit_without_upscaling(packaged):
    master, _progress = packaged
    assert master.name == "master.m3u8"
    variants = read_playlist(master).variants
    assert [(v["RESOLUTION"], v["URI"]) for v in variants] == [
        ("320x180", "180p/index.m3u8"),
        ("160x90", "90p/index.m3u8"),
    ]
    assert all(int(v["BANDWIDTH"]) > 0 for v in variants)


@pytest.mark.parametrize("rendition", ["180p", "90p"])
def test_each_rendition_is_a_closed_vod_with_honest_durations(packaged, rendition):
    master, _progress = packaged
    playlist = read_playlist(master.parent / rendition / "index.m3u8")
    assert playlist.ended is True
    assert playlist.playlist_type == "VOD"
    durations = [segment.duration for segment in playlist.segments]
    assert durations == pytest.approx([4.0, 4.0, 1.0], abs=0.001)
    assert playlist.target_duration == math.ceil(max(durations) - 1e-6) == 4
    assert sum(durations) == pytest.approx(9.0, abs=0.1)


@pytest.mark.parametrize("rendition", ["180p", "90p"])
def test_every_segment_decodes_with_picture_and_sound_from_a_keyframe(packaged, rendition):
    master, _progress = packaged
    folder = master.parent / rendition
    clocks, sound = [], []
    for segment in read_playlist(folder / "index.m3u8").segments:
        with av.open(str(folder / segment.uri)) as container:
            assert len(container.streams.video) == 1
            assert len(container.streams.audio) == 1
            first = next(container.demux(video=0))
            assert first.is_keyframe
        with av.open(str(folder / segment.uri)) as container:
            pictures = list(container.decode(video=0))
        with av.open(str(folder / segment.uri)) as container:
            sound.append([(f.pts, f.samples) for f in container.decode(audio=0)])
        assert len(pictures) == round(segment.duration * 25)
        clocks.append(read_clock(pictures[0]))
    # The burnt-in clock says each segment starts exactly where the previous one ended.
    assert clocks == [0.0, 4.0, 8.0]
    # Sound in every segment, with no gap from one to the next (timestamps at 90 kHz).
    assert all(len(frames) > 10 for frames in sound)
    for before, after in zip(sound, sound[1:], strict=False):
        last_pts, last_samples = before[-1]
        assert after[0][0] == last_pts + last_samples * 90000 // 48000
    assert sum(samples for frames in sound for _pts, samples in frames) == pytest.approx(
        9 * 48000,
        abs=2048,  # MPEG-TS keeps the AAC priming and the padded last frame
    )


def test_progress_rises_to_one(packaged):
    _master, progress = packaged
    assert progress[-1] == 1.0
    assert progress == sorted(progress)
    assert len(progress) > 3


def test_a_text_file_named_mp4_is_refused_and_leaves_nothing(tmp_path):
    fake = tmp_path / "lesson.mp4"
    fake.write_text("this is not a video\n" * 50)
    with translation.override("en"), pytest.raises(MediaRefused) as refused:
        package_vod(fake, tmp_path / "replay")
    assert refused.value.message == "This file is not a video we can read."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.mp4"]


def test_an_audio_only_file_is_refused(tmp_path):
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000)
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with translation.override("en"), pytest.raises(MediaRefused) as refused:
        package_vod(path, tmp_path / "replay")
    assert refused.value.message == "This file has no video in it."
    assert not (tmp_path / "replay").exists()


def test_a_cut_off_upload_publishes_nothing_half_done(tmp_path):
    whole = make_test_video(tmp_path / "whole.mp4", seconds=2, width=160, height=90)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(MediaRefused):
        package_vod(cut, tmp_path / "replay")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "whole.mp4"]


def test_packaging_again_replaces_the_old_replay_whole(tmp_path):
    source = make_test_video(tmp_path / "a.mp4", seconds=2, width=160, height=90)
    out = tmp_path / "replay"
    package_vod(source, out, renditions=((160, 90),))
    (out / "stale.txt").write_text("old")
    master = package_vod(source, out, renditions=((160, 90),))
    assert master == out / "master.m3u8"
    assert sorted(p.name for p in out.iterdir()) == ["90p", "master.m3u8"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "replay"]


def test_webm_and_mkv_uploads_are_packaged(tmp_path):
    for suffix in (".webm", ".mkv"):
        source = make_test_video(tmp_path / f"clip{suffix}", seconds=2, width=160, height=90)
        master = package_vod(source, tmp_path / f"out{suffix}", renditions=((160, 90),))
        playlist = read_playlist(Path(master).parent / "90p" / "index.m3u8")
        assert playlist.ended
        assert playlist.duration == pytest.approx(2.0, abs=0.1)


def test_the_refusal_is_in_the_readers_language(tmp_path):
    fake = tmp_path / "lesson.mov"
    fake.write_bytes(b"\x00\x01garbage" * 100)
    with translation.override("zh-hans"), pytest.raises(MediaRefused) as refused:
        package_vod(fake, tmp_path / "replay")
    assert refused.value.message == "无法读取此文件，它不是可识别的视频。"
