"""Media shared by the live tests: the lesson video and what each browser format makes of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from eschool.live import testing
from eschool.live.media import make_test_video

WEBM = "video/webm;codecs=h264,opus"
MKV = "video/x-matroska;codecs=avc1,opus"
MP4 = "video/mp4;codecs=avc1"
MP4_AAC = "video/mp4;codecs=avc1,mp4a.40.2"


@pytest.fixture(scope="session")
def lesson_video(tmp_path_factory) -> Path:
    """Nine seconds of test pattern with a clock and a tone."""
    return make_test_video(
        tmp_path_factory.mktemp("lesson") / "lesson.mp4", seconds=9, width=320, height=180
    )


@pytest.fixture(scope="session")
def recordings(lesson_video):
    """What each browser format sends for the lesson video, built once for the session."""
    cache: dict[tuple, bytes] = {}

    def recording(mime: str = WEBM, *, keyframe_seconds: float = 2.0) -> bytes:
        key = (mime, keyframe_seconds)
        if key not in cache:
            cache[key] = testing.browser_recording(
                lesson_video, mime=mime, keyframe_seconds=keyframe_seconds
            )
        return cache[key]

    return recording


@pytest.fixture(scope="session")
def short_recording(tmp_path_factory) -> bytes:
    """Five seconds in the browser's WebM: the first part of a broadcast that drops."""
    path = make_test_video(
        tmp_path_factory.mktemp("short") / "short.mp4", seconds=5, width=320, height=180
    )
    return testing.browser_recording(path, mime=WEBM)
