"""The JSON timetable gives each session's HLS playlist: live while on air, else its replay;
only for the sessions anyone may watch without an account (as status.json)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eschool.classroom.models import Session
from eschool.live.models import Broadcast, Recording

pytestmark = pytest.mark.django_db

URL = "/api/v1/timetable/2026-12-07"
# Building the day's document: sessions, their grades, notices, then the playlists of all of
# them at once (ready replays and live broadcasts in one UNION query).
QUERIES = 4


def hls_urls(client) -> dict[str, str | None]:
    return {s["title"]: s["hls_url"] for s in client.get(URL).json()["sessions"]}


def test_hls_url_is_the_live_playlist_the_replay_or_null(client, clock, make_session, settings):
    live = make_session(title="直播中", start="09:30", end="10:10", kind=Session.Kind.EVENT)
    live_class = make_session(title="直播的课", start="09:40", end="10:20")
    replayed = make_session(title="有回看", start="08:00", end="08:40")
    nothing = make_session(title="无视频", start="14:00", end="14:40")
    ended = make_session(title="直播结束", start="07:00", end="07:40")
    failed_only = make_session(title="处理失败", start="15:00", end="15:40")

    Broadcast.objects.create(
        session=live, status=Broadcast.Status.LIVE, hls_path=f"live/{live.pk}/index.m3u8"
    )
    Broadcast.objects.create(
        session=live_class, status=Broadcast.Status.LIVE, hls_path=f"live/{live_class.pk}/i.m3u8"
    )
    Broadcast.objects.create(
        session=nothing, status=Broadcast.Status.WAITING, hls_path=f"live/{nothing.pk}/index.m3u8"
    )
    older = Recording.objects.create(
        session=replayed, status=Recording.Status.READY, hls_path="replays/x/1/master.m3u8"
    )
    Recording.objects.create(
        session=replayed, status=Recording.Status.READY, hls_path="replays/x/2/master.m3u8"
    )
    Recording.objects.create(session=replayed, status=Recording.Status.PROCESSING)
    Recording.objects.create(session=failed_only, status=Recording.Status.FAILED, error="x")
    # A broadcast that ended: its playlist, closed, is the replay (a READY recording).
    recording = Recording.objects.create(
        session=ended,
        kind=Recording.Kind.LIVE,
        status=Recording.Status.READY,
        hls_path=f"live/{ended.pk}/index.m3u8",
    )
    Broadcast.objects.create(
        session=ended,
        status=Broadcast.Status.ENDED,
        hls_path=f"live/{ended.pk}/index.m3u8",
        recording=recording,
    )
    assert older.pk  # the latest ready recording wins, as on the session page

    assert hls_urls(client) == {
        "直播结束": f"http://testserver/media/live/{ended.pk}/index.m3u8",
        "有回看": "http://testserver/media/replays/x/2/master.m3u8",
        "直播中": f"http://testserver/media/live/{live.pk}/index.m3u8",
        # The live of a class is for its audience: a public document does not name it.
        "直播的课": None,
        "无视频": None,
        "处理失败": None,
    }
    # Where the district lets nobody watch without an account, no session's playlist.
    settings.ESCHOOL_PUBLIC_WATCH = False
    cache.clear()  # the day's document is cached
    assert set(hls_urls(client).values()) == {None}


def test_a_cdn_media_url_is_given_as_it_is(client, clock, make_session, settings):
    settings.MEDIA_URL = "https://cdn.example.cn/media/"
    session = make_session(title="有回看")
    Recording.objects.create(
        session=session, status=Recording.Status.READY, hls_path="replays/1/2/master.m3u8"
    )
    assert hls_urls(client) == {"有回看": "https://cdn.example.cn/media/replays/1/2/master.m3u8"}


def count_queries(client) -> int:
    cache.clear()  # build the document again, not the cached copy
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_playlists_cost_one_query_however_many_sessions(client, clock, make_session):
    first = make_session(title="第1节", start="08:00", end="08:40")
    Recording.objects.create(
        session=first, status=Recording.Status.READY, hls_path="replays/a/master.m3u8"
    )
    few = count_queries(client)
    for hour in range(9, 17):
        session = make_session(
            title=f"第{hour}节",
            start=f"{hour:02d}:00",
            end=f"{hour:02d}:40",
            kind=Session.Kind.EVENT,  # everyone may watch: each has its URL
        )
        Recording.objects.create(
            session=session, status=Recording.Status.READY, hls_path=f"replays/{hour}/m.m3u8"
        )
        Broadcast.objects.create(
            session=session, status=Broadcast.Status.LIVE, hls_path=f"live/{hour}/i.m3u8"
        )
    many = count_queries(client)
    assert many == few == QUERIES  # no query per session
    with_urls = [s for s in client.get(URL).json()["sessions"] if s["hls_url"]]
    assert len(with_urls) == 9


def test_a_day_without_sessions_asks_nothing_about_playlists(client, clock):
    # sessions, notices (and the cached publication state): no playlist queries for nobody.
    from eschool.live.selectors import playlist_paths_of

    assert playlist_paths_of([]) == {}
    assert client.get(URL).json()["sessions"] == []
