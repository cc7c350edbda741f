"""The session page's player: status.json (polled by every viewer) and who may watch what."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from eschool.classroom.models import Booking, Session
from eschool.core import timeutil
from eschool.live import player, selectors, services
from eschool.live.models import Broadcast, Recording
from eschool.org.models import Grade, Stage

DAY = dt.date(2026, 12, 7)


def shanghai(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    return timeutil.at_local(day, dt.time.fromisoformat(hhmm))


def zh(msgid: str) -> str:
    """What the default (Chinese) page shows for `msgid`."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


@pytest.fixture
def at(monkeypatch):
    """Sets the project's clock (timeutil.now) to a Shanghai time of DAY."""

    def set_clock(hhmm: str, day: dt.date = DAY) -> dt.datetime:
        moment = shanghai(hhmm, day)
        monkeypatch.setattr(timeutil, "_frozen", moment.astimezone(dt.UTC))
        cache.clear()  # the state of a session is cached for 2 s of real time
        return moment

    set_clock("07:00")
    return set_clock


def make(teacher=None, *, kind=Session.Kind.CLASS, capacity=None, day=DAY, title="分数的加减"):
    session = Session.objects.create(
        day=day,
        starts_at=shanghai("08:00", day),
        ends_at=shanghai("08:40", day),
        title=title,
        stage=Stage.JUNIOR,
        teacher=teacher.teacher if teacher is not None else None,
        kind=kind,
        capacity=capacity,
    )
    session.grades.set([Grade.objects.get(level=7)])
    return session


@pytest.fixture
def english():
    """The refusals in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def lesson(teacher):
    return make(teacher, capacity=30)


@pytest.fixture
def event(district_admin):
    return make(kind=Session.Kind.EVENT, title="升旗仪式")


def go_live(session):
    return Broadcast.objects.create(
        session=session, status=Broadcast.Status.LIVE, hls_path=f"live/{session.pk}/index.m3u8"
    )


def end_live(session):
    recording = Recording.objects.create(
        session=session,
        kind=Recording.Kind.LIVE,
        status=Recording.Status.READY,
        hls_path=f"live/{session.pk}/index.m3u8",
        duration_seconds=2400.0,
    )
    Broadcast.objects.update_or_create(
        session=session,
        defaults={
            "status": Broadcast.Status.ENDED,
            "hls_path": f"live/{session.pk}/index.m3u8",
            "recording": recording,
        },
    )
    return recording


def status(client, session):
    response = client.get(reverse("live:status", args=[session.pk]))
    assert response.status_code == 200
    return response, json.loads(response.content)


# status.json ------------------------------------------------------------------------------


def test_before_the_broadcast_the_status_gives_the_times_and_the_servers_clock(client, at, event):
    at("07:58:30")
    response, body = status(client, event)
    assert body == {
        "as_of": "2026-12-07T07:58:30+08:00",
        "status": "waiting",
        "starts_at": "2026-12-07T08:00:00+08:00",
        "ends_at": "2026-12-07T08:40:00+08:00",
        "server_time": "2026-12-07T07:58:30+08:00",
        "cancelled": False,
        "hls_url": None,
        "replay": False,
    }
    assert response["Cache-Control"] == "public, max-age=2"
    assert response["Content-Type"] == "application/json"


def test_a_live_district_event_gives_everyone_its_live_playlist(client, at, event):
    go_live(event)
    at("08:01")
    _response, body = status(client, event)
    assert body["status"] == "live"
    assert body["hls_url"] == f"/media/live/{event.pk}/index.m3u8"
    assert body["replay"] is False


def test_the_shared_status_of_a_live_class_does_not_name_its_playlist(client, at, lesson):
    go_live(lesson)
    at("08:01")
    _response, body = status(client, lesson)
    # The answer is the same for everyone (a CDN may serve it): a class's live is not for
    # everyone, so its playlist comes only in the pages of those who may watch.
    assert body["status"] == "live"
    assert body["hls_url"] is None


def test_after_the_broadcast_the_status_points_to_the_replay(client, at, lesson, settings):
    go_live(lesson)
    end_live(lesson)
    at("08:45")
    _response, body = status(client, lesson)
    assert body["status"] == "ended"
    assert body["replay"] is True
    assert body["hls_url"] == f"/media/live/{lesson.pk}/index.m3u8"

    settings.ESCHOOL_PUBLIC_WATCH = False
    cache.clear()
    _response, body = status(client, lesson)
    assert (body["status"], body["replay"], body["hls_url"]) == ("ended", True, None)


def test_an_uploaded_replay_is_the_replay_too(client, at, lesson):
    Recording.objects.create(
        session=lesson,
        status=Recording.Status.READY,
        hls_path=f"replays/{lesson.pk}/3/master.m3u8",
    )
    at("09:30")
    _response, body = status(client, lesson)
    assert (body["status"], body["hls_url"]) == (
        "ended",
        f"/media/replays/{lesson.pk}/3/master.m3u8",
    )


def test_a_session_over_without_a_broadcast_is_ended_with_no_replay(client, at, lesson):
    at("08:41")
    _response, body = status(client, lesson)
    assert (body["status"], body["replay"], body["hls_url"]) == ("ended", False, None)


def test_an_unknown_or_unpublished_session_has_no_status(client, at, teacher):
    at("07:00")
    later = make(teacher, day=DAY + dt.timedelta(days=3))
    assert client.get(reverse("live:status", args=[later.pk])).status_code == 404
    assert client.get(reverse("live:status", args=[later.pk + 1])).status_code == 404


def test_whoever_sees_an_unpublished_session_gets_its_status_and_no_one_else(
    client, at, teacher, district_admin, school_admin, student, stranger
):
    # The session page of a day not yet published is for its teacher and the administrators
    # (classroom.selectors.session_visible_to); the page polls status.json, which must answer
    # them too, kept by no shared cache, since the public gets a 404 at the same address.
    at("07:00")
    later = make(teacher, day=DAY + dt.timedelta(days=7))
    url = reverse("live:status", args=[later.pk])
    for person in (teacher, district_admin, school_admin):
        client.force_login(person)
        assert client.get(reverse("classroom:session", args=[later.pk])).status_code == 200
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, max-age=2"
        body = json.loads(response.content)
        assert (body["status"], body["starts_at"], body["hls_url"]) == (
            "waiting",
            "2026-12-14T08:00:00+08:00",
            None,
        )
    for person in (student, stranger):
        client.force_login(person)
        assert client.get(reverse("classroom:session", args=[later.pk])).status_code == 404
        response = client.get(url)
        assert response.status_code == 404
        assert response["Cache-Control"] == "private, max-age=2"
    client.logout()
    assert client.get(url).status_code == 404
    assert not Broadcast.objects.exists()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_started_broadcast_is_starting_until_its_first_segment_is_listed(
    client, at, event, district_admin, media
):
    at("07:58")
    broadcast = services.broadcast_begin(
        actor=district_admin, session=event, source=Broadcast.Source.BROWSER
    )
    # The teacher pressed Start; the playlist comes with the first segment, 2-3 s later.
    assert not (media / broadcast.hls_path).exists()
    _response, body = status(client, event)
    assert (body["status"], body["hls_url"], body["replay"]) == ("starting", None, False)
    # Nor does the JSON timetable name it (it would be a 404 too).
    assert selectors.playlist_paths_of([event.pk]) == {}

    assert services.broadcast_segment_listed(broadcast_id=broadcast.pk) is True
    assert services.broadcast_segment_listed(broadcast_id=broadcast.pk) is False  # once
    at("07:58:05")
    _response, body = status(client, event)
    assert (body["status"], body["hls_url"]) == ("live", f"/media/{broadcast.hls_path}")
    assert selectors.playlist_paths_of([event.pk]) == {event.pk: broadcast.hls_path}


def test_a_broadcast_that_goes_on_with_segments_it_has_is_live_at_once(
    client, at, event, district_admin, media
):
    at("08:05")
    broadcast = services.broadcast_begin(
        actor=district_admin, session=event, source=Broadcast.Source.BROWSER
    )
    playlist = media / broadcast.hls_path
    playlist.parent.mkdir(parents=True)
    playlist.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n"
        "#EXTINF:2.000000,\nseg-00000.ts\n"
    )
    # The teacher's line dropped and they start again: viewers go on, no "starting".
    services.broadcast_begin(actor=district_admin, session=event, source=Broadcast.Source.BROWSER)
    assert status(client, event)[1]["status"] == "live"


def test_the_status_is_one_cached_value_per_session(client, at, event, django_assert_num_queries):
    at("08:01")
    with django_assert_num_queries(3):  # the session, its broadcast, its replay
        assert status(client, event)[1]["status"] == "waiting"
    go_live(event)
    with django_assert_num_queries(0):  # at most 2 s old: everyone gets the same copy
        assert status(client, event)[1]["status"] == "waiting"
    # Once it is older than STATUS_MAX_AGE the next request rebuilds it.
    key = player.STATUS_KEY.format(pk=event.pk)
    built_at, document = cache.get(key)
    cache.set(key, (built_at - player.STATUS_MAX_AGE - 1, document), 60)
    assert status(client, event)[1]["status"] == "live"


def test_the_status_reads_no_user(client, at, event, student):
    # The answer must not depend on who asks, or a shared cache would hand one viewer's
    # answer to another.
    at("08:01")
    go_live(event)
    anonymous = status(client, event)[1]
    client.force_login(student)
    cache.clear()
    assert status(client, event)[1] == anonymous


# Who may watch --------------------------------------------------------------------------


def test_who_may_watch_a_class_with_seats(at, lesson, teacher, student, parent, stranger, english):
    at("08:10")
    from django.contrib.auth.models import AnonymousUser

    Booking.objects.create(
        learner=student, session=lesson, status="confirmed", queued_at=shanghai("07:00")
    )
    assert player.watch_refusal(teacher, lesson) == ""
    assert player.watch_refusal(student, lesson) == ""
    assert player.watch_refusal(parent, lesson) == ""  # their child booked
    assert player.watch_refusal(stranger, lesson) == (
        "Only those who booked a seat can watch this class live."
    )
    assert player.watch_refusal(AnonymousUser(), lesson) == "Log in to watch this session."
    at("08:41")  # its replay: every logged-in visitor, and visitors where the district allows
    assert player.watch_refusal(stranger, lesson) == ""
    assert player.watch_refusal(AnonymousUser(), lesson) == ""


def test_a_district_event_is_for_everyone_unless_the_district_says_otherwise(
    at, event, settings, stranger, english
):
    from django.contrib.auth.models import AnonymousUser

    at("08:10")
    assert player.watch_refusal(AnonymousUser(), event) == ""
    assert player.watch_refusal(stranger, event) == ""
    settings.ESCHOOL_PUBLIC_WATCH = False
    assert player.watch_refusal(AnonymousUser(), event) == "Log in to watch this session."
    assert player.watch_refusal(stranger, event) == ""


# The session page -----------------------------------------------------------------------


def page(client, session) -> str:
    response = client.get(reverse("classroom:session", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_before_the_start_the_page_counts_down_on_the_servers_clock(client, at, event):
    at("07:15")
    html = page(client, event)
    assert 'data-view="waiting"' in html
    assert 'data-server-time="2026-12-07T07:15:00+08:00"' in html
    assert 'data-starts-at="2026-12-07T08:00:00+08:00"' in html
    assert f'data-status-url="/live/sessions/{event.pk}/status.json"' in html
    assert '<p class="live-countdown" data-when="waiting">' in html  # shown
    assert 'data-when="live replay" hidden>' in html  # the player waits, hidden


def test_a_booked_student_gets_the_live_player_and_its_playlist(client, at, lesson, student):
    Booking.objects.create(
        learner=student, session=lesson, status="confirmed", queued_at=shanghai("07:00")
    )
    go_live(lesson)
    at("08:05")
    client.force_login(student)
    html = page(client, lesson)
    assert 'data-view="live"' in html
    assert f'data-live-url="/media/live/{lesson.pk}/index.m3u8"' in html
    assert f'<video controls playsinline preload="none" data-session-id="{lesson.pk}"' in html
    assert 'data-mode="live"' in html
    assert 'data-autoplay="1"' in html
    assert zh("Live now") in html
    # The video comes before the session's facts and the booking card: on a phone it is on
    # the first screen (it was about 1,000 px down).
    assert html.index('id="live"') < html.index('class="card facts"')
    # Students never see the go-live panel or the stream key.
    assert 'id="go-live"' not in html
    assert Broadcast.objects.get(session=lesson).stream_key not in html


def test_until_the_first_segment_the_page_says_the_live_is_about_to_start(
    client, at, lesson, student, teacher, media
):
    Booking.objects.create(
        learner=student, session=lesson, status="confirmed", queued_at=shanghai("07:00")
    )
    at("07:58")
    services.broadcast_begin(actor=teacher, session=lesson, source=Broadcast.Source.BROWSER)
    client.force_login(student)
    html = page(client, lesson)
    assert 'data-view="starting"' in html
    message = zh("The live broadcast is about to start…")
    assert (
        f'<p class="live-starting" data-when="starting" role="status"><strong>{message}</strong>'
        in html
    )
    assert '<p class="live-countdown" data-when="waiting" hidden>' in html
    assert '<div class="live-frame" data-when="live replay" hidden>' in html  # nothing to play


def test_a_student_without_a_seat_is_told_why_and_gets_no_playlist(client, at, lesson, stranger):
    go_live(lesson)
    at("08:05")
    client.force_login(stranger)
    html = page(client, lesson)
    assert 'data-live-url=""' in html
    assert "<video" not in html
    assert zh("Only those who booked a seat can watch this class live.") in html


def test_after_the_end_the_page_plays_the_replay(client, at, lesson):
    go_live(lesson)
    end_live(lesson)
    at("09:30")
    html = page(client, lesson)  # anonymous: the district lets everyone watch replays
    assert 'data-view="replay"' in html
    assert f'data-replay-url="/media/live/{lesson.pk}/index.m3u8"' in html
    assert 'data-mode="replay"' in html


def test_the_teacher_gets_the_go_live_panel_and_the_page_writes_nothing(
    client, at, lesson, teacher
):
    at("07:40")
    client.force_login(teacher)
    html = page(client, lesson)
    assert not Broadcast.objects.exists()  # a GET reads only
    assert 'id="go-live"' in html
    assert f'data-ingest-path="/ws/live/{lesson.pk}/ingest/"' in html
    # Today: times only.
    assert (
        zh("You can broadcast from %(opens)s to %(closes)s, from this page or from OBS.")
        % {
            "opens": "07:30",
            "closes": "09:10",
        }
        in html
    )
    assert "<code>rtmp://testserver/live</code>" in html
    # No broadcast yet, so no stream key: a button makes one (a POST).
    assert 'class="stream-key"' not in html
    assert f'<form method="post" action="/live/sessions/{lesson.pk}/stream-key/">' in html
    for label in ('for="go-live-camera"', 'for="go-live-microphone"', 'for="go-live-level"'):
        assert label in html
    assert '<script src="/static/js/golive.js" defer></script>' in html
    # The teacher's own page does not start the live by itself (their microphone would hear it).
    assert 'data-autoplay="0"' in html
    assert 'data-live-sync-segments="2"' in html  # hls.js's hold-back, from player.py


HTMX = '<script src="/static/vendor/htmx/htmx.min.js" defer></script>'


def test_the_teachers_viewer_count_gets_htmx_before_there_is_a_replay(client, at, lesson, teacher):
    # The count is an htmx fragment; without htmx on the page it stayed "…" all the live.
    at("08:10")
    go_live(lesson)
    client.force_login(teacher)
    html = page(client, lesson)
    assert f'hx-get="/watch/sessions/{lesson.pk}/viewers/"' in html
    assert 'class="replay-tools"' not in html
    assert html.count(HTMX) == 1


def test_htmx_is_loaded_once_when_the_page_has_both_the_count_and_the_replay(
    client, at, lesson, teacher
):
    go_live(lesson)
    end_live(lesson)
    at("08:50")  # the window is still open: the go-live panel and the replay's chapters
    client.force_login(teacher)
    html = page(client, lesson)
    assert 'id="go-live"' in html
    assert 'class="replay-tools"' in html
    assert html.count(HTMX) == 1


def test_a_student_watching_live_gets_no_htmx(client, at, lesson, student):
    Booking.objects.create(
        learner=student, session=lesson, status="confirmed", queued_at=shanghai("07:00")
    )
    at("08:10")
    go_live(lesson)
    client.force_login(student)
    html = page(client, lesson)
    assert 'data-view="live"' in html
    assert HTMX not in html


def test_the_stream_key_button_makes_the_broadcast_and_the_page_shows_its_key(
    client, at, lesson, teacher
):
    at("07:40")
    client.force_login(teacher)
    response = client.post(reverse("live:stream_key", args=[lesson.pk]))
    broadcast = Broadcast.objects.get(session=lesson)
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{lesson.pk}/?obs=1#go-live-obs"
    assert (broadcast.status, broadcast.started_at) == (Broadcast.Status.WAITING, None)
    html = client.get(response["Location"]).content.decode()
    assert f'<code class="stream-key">{broadcast.stream_key}</code>' in html
    assert '<details class="go-live-obs" id="go-live-obs" open>' in html
    # Again: the same broadcast and key.
    client.post(reverse("live:stream_key", args=[lesson.pk]))
    assert list(Broadcast.objects.values_list("stream_key", flat=True)) == [broadcast.stream_key]


@pytest.mark.parametrize("persona", ["student", "stranger", "school_admin"])
def test_only_the_teacher_or_a_district_admin_may_make_the_stream_key(
    client, at, lesson, request, persona
):
    at("07:40")
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("live:stream_key", args=[lesson.pk])).status_code == 403
    assert client.get(reverse("live:stream_key", args=[lesson.pk])).status_code == 405
    assert not Broadcast.objects.exists()


def test_the_go_live_hint_gives_the_date_of_a_later_day(client, at, teacher):
    tomorrow = make(teacher, day=DAY + dt.timedelta(days=1))
    at("20:00")
    client.force_login(teacher)
    html = page(client, tomorrow)
    assert (
        zh("You can broadcast from %(opens)s to %(closes)s, from this page or from OBS.")
        % {
            "opens": "2026-12-08 07:30",
            "closes": "09:10",
        }
        in html
    )


def test_no_go_live_panel_once_the_window_has_closed(client, at, lesson, teacher):
    at("09:11")  # more than 30 minutes after the end
    client.force_login(teacher)
    assert 'id="go-live"' not in page(client, lesson)


def test_a_cancelled_session_shows_no_player(client, at, lesson):
    Session.objects.filter(pk=lesson.pk).update(status=Session.Status.CANCELLED)
    at("07:30")
    assert 'id="live"' not in page(client, lesson)


OVER = '<p class="help live-over" data-when="over">'


def test_a_class_that_ended_without_airing_promises_no_replay(
    client, at, lesson, teacher, student, district_admin
):
    at("09:30")  # never broadcast, nothing uploaded
    client.force_login(student)
    html = page(client, lesson)
    assert 'data-view="over"' in html
    assert f"{OVER}{zh('This session ended without a recording; there is no replay yet.')}</p>" in (
        html
    )
    assert zh("This session has ended. Its replay appears here when it is ready.") not in html
    # Those who may upload one are told they can.
    for manager in (teacher, district_admin):
        client.force_login(manager)
        html = page(client, lesson)
        message = zh(
            "This session ended without a recording. You can upload a recorded lesson as its "
            "replay."
        )
        assert f"{OVER}{message}</p>" in html
        assert f'href="/live/sessions/{lesson.pk}/upload/"' in html


def test_an_upload_being_packaged_is_the_replay_on_its_way(client, at, lesson, student):
    Recording.objects.create(session=lesson, status=Recording.Status.PROCESSING)
    at("09:30")
    client.force_login(student)
    html = page(client, lesson)
    message = zh("This session has ended. Its replay appears here when it is ready.")
    assert f"{OVER}{message}</p>" in html


def test_a_live_that_recorded_nothing_is_over_without_a_recording(client, at, lesson, student):
    Broadcast.objects.create(
        session=lesson, status=Broadcast.Status.ENDED, hls_path=f"live/{lesson.pk}/index.m3u8"
    )
    at("08:20")  # ended early, before a segment: no recording
    client.force_login(student)
    html = page(client, lesson)
    assert 'data-view="over"' in html
    assert zh("This session ended without a recording; there is no replay yet.") in html


@pytest.mark.parametrize("persona", ["teacher", "district_admin", "student"])
def test_a_cancelled_session_has_no_countdown_and_no_chat(client, at, lesson, request, persona):
    Session.objects.filter(pk=lesson.pk).update(status=Session.Status.CANCELLED)
    at("07:30")
    client.force_login(request.getfixturevalue(persona))
    html = page(client, lesson)
    assert "data-countdown" not in html
    assert "data-chat-panel" not in html
    assert 'id="live"' not in html
    assert 'id="go-live"' not in html


def test_a_cancelled_session_keeps_a_replay_it_has_but_no_chat(client, at, lesson, teacher):
    go_live(lesson)
    end_live(lesson)
    Session.objects.filter(pk=lesson.pk).update(status=Session.Status.CANCELLED)
    at("09:30")
    client.force_login(teacher)
    html = page(client, lesson)
    assert 'data-view="replay"' in html
    assert "data-chat-panel" not in html
