"""POST /watch/heartbeats and the fold: what is accepted, what is refused, what is counted."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from eschool.classroom.models import Session
from eschool.watching import buffer
from eschool.watching.models import HeartbeatBatch, WatchSection

from .conftest import beat, fold, post, shanghai, token_for

pytestmark = pytest.mark.django_db


def seconds_of(user, session, mode):
    return sorted(
        WatchSection.objects.filter(user=user, session=session, mode=mode).values_list(
            "seconds", flat=True
        )
    )


def test_a_minute_of_live_playing_is_a_minute_once_folded(client, lesson, student):
    token = token_for(student, lesson)
    answer = post(
        client,
        token,
        [beat(lesson, "s1", 0, 0, 1000), beat(lesson, "s1", 0, 20, 21000)],
    )
    assert answer.status_code == 202
    assert answer.json() == {"accepted": 2}
    assert WatchSection.objects.count() == 0  # nothing is written before the fold
    assert buffer.pending_count() == 1

    report = fold()
    assert (report.batches, report.beats, report.sections) == (1, 2, 1)
    assert buffer.pending_count() == 0
    post(client, token, [beat(lesson, "s1", 0, 60, 61000)])
    fold()
    section = WatchSection.objects.get()
    assert (section.user, section.session, section.mode, section.section) == (
        student,
        lesson,
        "live",
        "s1",
    )
    assert (section.start_s, section.end_s, section.seconds) == (0.0, 60.0, 60.0)


def test_a_batch_delivered_twice_is_counted_once(client, lesson, student):
    token = token_for(student, lesson)
    beats = [beat(lesson, "s1", 10, 10, 1000), beat(lesson, "s1", 10, 30, 21000)]
    post(client, token, beats)
    fold()
    post(client, token, beats)  # a retried fetch
    post(client, token, beats)  # and a beacon racing it
    fold()
    assert seconds_of(student, lesson, "live") == [20.0]
    assert fold().sections == 0  # nothing left, nothing changed


def test_a_fold_that_failed_leaves_its_batches_for_the_next(client, lesson, student):
    token = token_for(student, lesson)
    post(client, token, [beat(lesson, "s1", 0, 0, 1000), beat(lesson, "s1", 0, 20, 21000)])
    with pytest.raises(RuntimeError), buffer.claim(100) as payloads:
        assert len(payloads) == 1
        raise RuntimeError("the database went away")
    assert buffer.pending_count() == 1
    fold()
    assert seconds_of(student, lesson, "live") == [20.0]


def test_live_and_replay_minutes_are_kept_apart(client, lesson, student):
    token = token_for(student, lesson)
    post(
        client,
        token,
        [
            beat(lesson, "a", 0, 0, 1000, mode="live"),
            beat(lesson, "a", 0, 40, 41000, mode="live"),
            # The same section id in replay mode is another section.
            beat(lesson, "a", 100, 100, 50000, mode="replay"),
            beat(lesson, "a", 100, 120, 60000, mode="replay"),  # played at 2×
        ],
    )
    fold()
    assert seconds_of(student, lesson, "live") == [40.0]
    assert seconds_of(student, lesson, "replay") == [20.0]


def test_a_seek_makes_a_new_section_and_only_played_time_counts(client, lesson, student):
    token = token_for(student, lesson)
    post(
        client,
        token,
        [
            beat(lesson, "first", 0, 0, 1000, mode="replay"),
            beat(lesson, "first", 0, 20, 21000, mode="replay"),
            # dragged to 35:00, played 10 s there
            beat(lesson, "second", 2100, 2100, 22000, mode="replay"),
            beat(lesson, "second", 2100, 2110, 32000, mode="replay"),
        ],
    )
    fold()
    assert seconds_of(student, lesson, "replay") == [10.0, 20.0]


def test_an_anonymous_viewer_is_counted_but_no_watch_time_is_kept(client, lesson, teacher):
    from django.contrib.auth.models import AnonymousUser

    token = token_for(AnonymousUser(), lesson)
    answer = post(client, token, [beat(lesson, "x", 0, 0, 1000), beat(lesson, "x", 0, 20, 21000)])
    assert answer.status_code == 202
    assert buffer.pending_count() == 0
    assert fold().sections == 0
    assert WatchSection.objects.count() == 0
    client.force_login(teacher)
    assert client.get(f"/watch/sessions/{lesson.pk}/viewers.json").json() == {"viewers": 1}


def test_the_heartbeat_costs_no_query_with_redis_and_one_insert_without(
    client, lesson, student, django_assert_num_queries
):
    token = token_for(student, lesson)
    with django_assert_num_queries(0 if settings.REDIS_URL else 1):
        answer = post(client, token, [beat(lesson, "s1", 0, 0, 1000)])
    assert answer.status_code == 202
    assert HeartbeatBatch.objects.count() == (0 if settings.REDIS_URL else 1)


def _with(field, value):
    return lambda token, good: {"token": token, "beats": [{**good, field: value}]}


# (what is sent, given the token and a good heartbeat) -> the message in English
BAD_BATCHES = [
    ("not json", lambda token, good: "{not json", "The batch is not valid JSON."),
    ("token", lambda token, good: {"token": None, "beats": [good]}, "The watch token must be a string."),
    ("object", lambda token, good: {"token": token, "beats": good}, "A batch must be a list of heartbeats."),
    ("empty", lambda token, good: {"token": token, "beats": []}, "The batch is empty."),
    ("number", lambda token, good: {"token": token, "beats": [7]}, "Heartbeat 1 is not an object with session, mode, section, from, to and at."),
    ("no session", lambda token, good: {"token": token, "beats": [{"mode": "live"}]}, "Heartbeat 1 is not for this session."),
    ("other session", lambda token, good: {"token": token, "beats": [good, {**good, "session": good["session"] + 1}]}, "Heartbeat 2 is not for this session."),
    ("mode", _with("mode", "vod"), 'Heartbeat 1: mode must be "live" or "replay".'),
    ("section space", _with("section", "a b"), 'Heartbeat 1: section must be 1 to 32 letters, digits, "-" or "_".'),
    ("section long", _with("section", "x" * 33), 'Heartbeat 1: section must be 1 to 32 letters, digits, "-" or "_".'),
    ("from after to", _with("from", 30), "Heartbeat 1: from and to must be positions in seconds, from not after to."),
    ("negative", _with("from", -1), "Heartbeat 1: from and to must be positions in seconds, from not after to."),
    ("boolean", _with("to", True), "Heartbeat 1: from and to must be positions in seconds, from not after to."),
    ("beyond a day", _with("to", 1e9), "Heartbeat 1: from and to must be positions in seconds, from not after to."),
    ("at text", _with("at", "soon"), "Heartbeat 1: at must be the player's clock in milliseconds."),
    ("at negative", _with("at", -5), "Heartbeat 1: at must be the player's clock in milliseconds."),
    ("too many", lambda token, good: {"token": token, "beats": [good] * 101}, "A batch holds at most 100 heartbeats."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "message"), [case[1:] for case in BAD_BATCHES], ids=[case[0] for case in BAD_BATCHES]
)
def test_a_bad_batch_is_refused_with_a_message_and_nothing_is_kept(
    client, lesson, student, make, message
):
    sent = make(token_for(student, lesson), beat(lesson, "s1", 0, 20, 1000))
    body = sent if isinstance(sent, str) else json.dumps(sent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # what the language switch sets
    answer = client.post("/watch/heartbeats", data=body, content_type="text/plain")
    assert answer.status_code == 400
    assert answer.json() == {"error": message}
    assert buffer.pending_count() == 0


def test_a_refusal_is_in_the_districts_language_by_default(client, lesson, student):
    answer = post(client, token_for(student, lesson), [])
    assert answer.status_code == 400
    with translation.override("zh-hans"):
        assert answer.json() == {"error": translation.gettext("The batch is empty.")}


def test_an_altered_token_is_refused_with_403(client, lesson, student):
    token = token_for(student, lesson)
    altered = token.replace(token.split(":")[0], "99999", 1)
    answer = post(client, altered, [beat(lesson, "s1", 0, 0, 1000)])
    assert answer.status_code == 403
    assert "error" in answer.json()
    assert buffer.pending_count() == 0


def test_a_token_names_one_session(client, lesson, student, teacher):
    other = Session.objects.create(
        day=lesson.day,
        starts_at=shanghai("11:00"),
        ends_at=shanghai("11:40"),
        title="另一节课",
        stage=lesson.stage,
        teacher=teacher.teacher,
    )
    answer = post(client, token_for(student, lesson), [beat(other, "s1", 0, 0, 1000)])
    assert answer.status_code == 400
    assert buffer.pending_count() == 0


def test_with_the_session_cookie_the_csrf_header_is_required(lesson, student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    body = json.dumps([beat(lesson, "s1", 0, 0, 1000)])
    refused = client.post("/watch/heartbeats", data=body, content_type="application/json")
    assert refused.status_code == 403
    assert buffer.pending_count() == 0

    client.get(f"/watch/sessions/{lesson.pk}/token.json")  # any page sets the CSRF cookie
    csrf = client.cookies.get("csrftoken")
    if csrf is None:  # token.json does not render a form; ask Django for one
        from django.middleware.csrf import _get_new_csrf_string

        csrf_value = _get_new_csrf_string()
        client.cookies["csrftoken"] = csrf_value
    else:
        csrf_value = csrf.value
    accepted = client.post(
        "/watch/heartbeats",
        data=body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_value,
    )
    assert accepted.status_code == 202
    assert buffer.pending_count() == 1


def test_without_a_token_or_a_login_a_batch_is_refused(client, lesson):
    answer = client.post(
        "/watch/heartbeats",
        data=json.dumps([beat(lesson, "s1", 0, 0, 1000)]),
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert buffer.pending_count() == 0


def test_the_heartbeat_endpoint_only_takes_post(client):
    assert client.get("/watch/heartbeats").status_code == 405


# The player's token ---------------------------------------------------------------------


def test_a_student_who_may_see_the_session_gets_a_token(client, lesson, student):
    client.force_login(student)
    answer = client.get(f"/watch/sessions/{lesson.pk}/token.json")
    assert answer.status_code == 200
    data = answer.json()
    assert data["interval"] == 20
    assert data["visitor"] == ""
    assert post(Client(), data["token"], [beat(lesson, "s1", 0, 0, 1)]).status_code == 202


def test_an_anonymous_visitor_keeps_the_visitor_id_they_offer(client, lesson):
    visitor = "abcdefghijklmnop1234"
    answer = client.get(f"/watch/sessions/{lesson.pk}/token.json?visitor={visitor}")
    assert answer.json()["visitor"] == visitor
    fresh = client.get(f"/watch/sessions/{lesson.pk}/token.json?visitor=bad id").json()
    assert fresh["visitor"] != "bad id"
    assert len(fresh["visitor"]) >= 16


def test_no_token_for_a_session_not_yet_published(client, clock, teacher, student):
    import datetime as dt

    later = dt.date(2026, 12, 20)
    hidden = Session.objects.create(
        day=later,
        starts_at=shanghai("10:00", later),
        ends_at=shanghai("10:40", later),
        title="未公布",
        stage="junior",
        teacher=teacher.teacher,
    )
    client.force_login(student)
    assert client.get(f"/watch/sessions/{hidden.pk}/token.json").status_code == 404
    assert client.get("/watch/sessions/999999/token.json").status_code == 404


def test_no_token_for_the_public_when_the_district_keeps_watching_to_accounts(
    client, lesson, settings
):
    settings.ESCHOOL_PUBLIC_WATCH = False
    assert client.get(f"/watch/sessions/{lesson.pk}/token.json").status_code == 404


def test_the_periodic_task_folds_what_was_received(client, lesson, student):
    from eschool.watching.tasks import fold_heartbeats

    post(
        client,
        token_for(student, lesson),
        [beat(lesson, "s1", 0, 0, 0), beat(lesson, "s1", 0, 5, 5000)],
    )
    assert fold_heartbeats.call_local() == 1
    assert seconds_of(student, lesson, "live") == [5.0]


def test_heartbeats_of_a_deleted_session_are_dropped_by_the_fold(client, lesson, student):
    post(client, token_for(student, lesson), [beat(lesson, "s1", 0, 0, 0)])
    lesson.delete()
    report = fold()
    assert (report.batches, report.sections) == (1, 0)
    assert buffer.pending_count() == 0


def test_the_publics_second_token_costs_no_query(client, lesson, django_assert_num_queries):
    assert client.get(f"/watch/sessions/{lesson.pk}/token.json").status_code == 200
    with django_assert_num_queries(0):
        answer = Client().get(f"/watch/sessions/{lesson.pk}/token.json")
    assert answer.status_code == 200
    assert post(Client(), answer.json()["token"], [beat(lesson, "s1", 0, 0, 1)]).status_code == 202
