"""A replay plays on the session page in Chromium, through hls.js served by eSchool itself."""

import datetime as dt

import pytest

from eschool.classroom.services import session_create
from eschool.core import timeutil
from eschool.live import services as live_services
from eschool.live.media import make_test_video
from eschool.live.models import Recording
from eschool.org.models import Grade, Stage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_replay_plays_and_seeks_on_a_phone(
    phone_page, live_server, district_admin, media_root, settings, tmp_path
):
    settings.ESCHOOL_REPLAY_RENDITIONS = ((320, 180),)
    yesterday = timeutil.today() - dt.timedelta(days=1)
    session = session_create(
        actor=district_admin,
        starts_at=timeutil.at_local(yesterday, dt.time(8, 0)),
        ends_at=timeutil.at_local(yesterday, dt.time(8, 40)),
        stage=Stage.JUNIOR,
        grades=[Grade.objects.get(level=7)],
        title="光的折射",
    )
    clip = tmp_path / "lesson.mp4"
    make_test_video(clip, seconds=6, width=320, height=180)
    with clip.open("rb") as upload:
        from django.core.files import File

        recording = live_services.recording_upload(
            actor=district_admin, session=session, uploaded_file=File(upload, name="lesson.mp4")
        )
    # The packaging job was enqueued on commit; in tests jobs run at once.
    assert Recording.objects.get(pk=recording.pk).status == "ready"

    page = phone_page
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.wait_for_function("window.Hls !== undefined")
    page.evaluate("const v = document.querySelector('video'); v.muted = true; v.play()")
    page.wait_for_function("document.querySelector('video').currentTime > 1")
    assert page.evaluate("document.querySelector('video').duration") == pytest.approx(6, abs=0.2)

    page.evaluate("document.querySelector('video').currentTime = 4")
    page.wait_for_function("document.querySelector('video').currentTime >= 4.2")
