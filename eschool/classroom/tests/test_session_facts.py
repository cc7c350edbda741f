"""The facts of a session's page: where the session stands, said the same there (the 状态 row)
and on its course's page (one function, classroom.selectors.session_state), and its grades as a
list in the page's language."""

import datetime as dt
import re

import pytest

from eschool.classroom import selectors
from eschool.classroom.models import Session
from eschool.live.models import Recording

from .conftest import TODAY, shanghai
from .courses_helpers import add_episode, lecture_series, use_tmp_storage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roots(settings, tmp_path):
    return use_tmp_storage(settings, tmp_path)


def english(client):
    client.cookies["django_language"] = "en"
    return client


def state_row(client, session) -> str:
    html = english(client).get(f"/sessions/{session.pk}/").content.decode()
    return re.search(r"<dt>Status</dt><dd>([^<]*)</dd>", html).group(1)


def course_badges(client, course) -> list[tuple[str, str]]:
    html = english(client).get(f"/courses/{course.pk}/").content.decode()
    meta = re.findall(r'<span class="meta">(.*?)</span>\s*</li>', html, re.S)
    return [
        re.search(r'<span class="badge (\w+)">([^<]*)</span>', m).groups() if "badge" in m else None
        for m in meta
    ]


def test_the_state_follows_the_clock_and_the_cancellation(clock, make_session):
    session = make_session(start="08:00", end="08:40")
    moments = {"07:59": "scheduled", "08:00": "under_way", "08:39": "under_way", "08:40": "ended"}
    for hhmm, code in moments.items():
        assert selectors.session_state(session, at=shanghai(TODAY, hhmm)).code == code
    session.status = Session.Status.CANCELLED
    for hhmm in moments:
        assert selectors.session_state(session, at=shanghai(TODAY, hhmm)).code == "cancelled"


def test_the_session_page_says_ended_like_the_course_page(client, clock, district_admin):
    clock.set(shanghai(TODAY, "10:00"))
    course = lecture_series(district_admin)
    morning = add_episode(district_admin, course, start="08:00", end="08:40", title="第一讲")
    Recording.objects.create(
        session=morning,
        status=Recording.Status.READY,
        hls_path=f"replays/{morning.pk}/1/master.m3u8",
    )
    now = add_episode(district_admin, course, start="09:50", end="10:30", title="第二讲")
    evening = add_episode(district_admin, course, start="19:00", end="19:45", title="第三讲")
    later = add_episode(district_admin, course, day=TODAY + dt.timedelta(days=-1), title="第零讲")
    Session.objects.filter(pk=later.pk).update(
        status=Session.Status.CANCELLED, cancel_reason="老师生病"
    )

    # Before: 状态 said "Scheduled" for all four, the course page "Ended" for the first.
    assert state_row(client, morning) == "Ended"  # with its replay
    assert state_row(client, now) == "Under way"
    assert state_row(client, evening) == "Scheduled"
    assert state_row(client, later) == "Cancelled: 老师生病"
    # The course page, by date: the same words (nothing for what is still to come).
    assert course_badges(client, course) == [
        ("cancelled", "Cancelled"),
        ("ended", "Ended"),
        ("under_way", "Under way"),
        None,
    ]


def test_the_grades_are_a_list_in_the_pages_language(client, clock, make_session):
    session = make_session(grades=("七年级", "八年级", "九年级"))
    html = english(client).get(f"/sessions/{session.pk}/").content.decode()
    assert "<dt>Grades</dt><dd>Grade 7, Grade 8, Grade 9</dd>" in html  # not Grade 7、Grade 8
    client.cookies.clear()
    html = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "<dd>七年级、八年级、九年级</dd>" in html
