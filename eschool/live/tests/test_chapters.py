"""Chapters of a replay: the session's teacher or an admin adds and removes them; all may seek."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from eschool.classroom.models import Session
from eschool.core import timeutil
from eschool.live import services
from eschool.live.models import Chapter, Recording
from eschool.live.replay_views import parse_clock
from eschool.live.templatetags.replays import clock
from eschool.org.models import Stage


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


@pytest.fixture
def replay(session):
    return Recording.objects.create(
        session=session,
        status=Recording.Status.READY,
        progress=1.0,
        hls_path=f"replays/{session.pk}/1/master.m3u8",
        duration_seconds=600.0,
    )


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_times_are_read_as_minutes_and_seconds_and_shown_the_same_way():
    assert parse_clock("05:30") == 330
    assert parse_clock("5:30") == 330
    assert parse_clock("1:02:03") == 3723
    assert parse_clock("90") == 90
    assert parse_clock(" 12：05 ") == 725  # a Chinese keyboard's colon
    assert parse_clock("5:75") is None
    assert parse_clock("abc") is None
    assert parse_clock("") is None
    assert clock(330) == "05:30"
    assert clock(3723) == "1:02:03"
    assert clock(0) == "00:00"


def test_the_teacher_adds_chapters_with_htmx_and_gets_the_list_back(client, teacher, replay):
    client.force_login(teacher)
    english(client)
    url = reverse("replays:chapter_add", args=[replay.pk])
    for at, title in [("05:30", "  第二部分：  例题 "), ("00:00", "导入")]:
        response = client.post(url, {"at": at, "title": title}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
    chapters = list(Chapter.objects.filter(recording=replay).values_list("at_seconds", "title"))
    assert chapters == [(0, "导入"), (330, "第二部分： 例题")]
    html = response.content.decode()
    assert html.strip().startswith(f'<section class="chapters" id="chapters-{replay.pk}"')
    assert html.index('data-at="0"') < html.index('data-at="330"')
    assert '<span class="chapter-time">05:30</span> 第二部分： 例题' in html
    assert html.count('class="link remove-chapter"') == 2
    assert 'hx-post="/live/recordings/' in html


def test_mistakes_are_shown_next_to_the_fields(client, teacher, replay):
    client.force_login(teacher)
    english(client)
    url = reverse("replays:chapter_add", args=[replay.pk])
    bad_time = client.post(url, {"at": "ten", "title": "x"}, HTTP_HX_REQUEST="true")
    assert "Write the time as minutes:seconds, for example 05:30." in bad_time.content.decode()
    past_end = client.post(url, {"at": "10:01", "title": "x"}, HTTP_HX_REQUEST="true")
    assert "This time is not inside the replay." in past_end.content.decode()
    no_title = client.post(url, {"at": "01:00", "title": "   "}, HTTP_HX_REQUEST="true")
    assert "This field is required." in no_title.content.decode()
    assert Chapter.objects.count() == 0
    # The typed values stay in the form.
    assert 'value="10:01"' in past_end.content.decode()


def test_without_htmx_the_form_goes_back_to_the_session_page(client, teacher, replay):
    client.force_login(teacher)
    response = client.post(
        reverse("replays:chapter_add", args=[replay.pk]), {"at": "01:00", "title": "例题"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{replay.session_id}/"
    assert Chapter.objects.get().at_seconds == 60


def test_the_teacher_removes_a_chapter(client, teacher, replay):
    chapter = services.chapter_add(actor=teacher, recording=replay, at_seconds=10, title="导入")
    client.force_login(teacher)
    response = client.post(
        reverse("replays:chapter_remove", args=[chapter.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert Chapter.objects.count() == 0
    assert "chapter-list" not in response.content.decode()


def test_students_and_other_teachers_cannot_change_chapters(
    client, teacher, student, school_admin, district_admin, replay
):
    chapter = services.chapter_add(
        actor=district_admin, recording=replay, at_seconds=10, title="导入"
    )
    for person in (student, school_admin):
        client.force_login(person)
        add = client.post(
            reverse("replays:chapter_add", args=[replay.pk]), {"at": "01:00", "title": "x"}
        )
        assert add.status_code == 403
        remove = client.post(reverse("replays:chapter_remove", args=[chapter.pk]))
        assert remove.status_code == 403
        with pytest.raises(PermissionDenied):
            services.chapter_remove(actor=person, chapter=chapter)
    client.logout()
    assert client.post(reverse("replays:chapter_remove", args=[chapter.pk])).status_code == 403
    assert list(Chapter.objects.values_list("title", flat=True)) == ["导入"]


def test_chapters_only_on_a_ready_replay(teacher, session):
    processing = Recording.objects.create(session=session, status=Recording.Status.PROCESSING)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.chapter_add(actor=teacher, recording=processing, at_seconds=0, title="x")
    assert refused.value.message_dict == {
        "__all__": ["Chapters can be added once the replay is ready."]
    }


def render_tools(user, session, replay):
    request = RequestFactory().get(f"/sessions/{session.pk}/")
    request.user = user
    template = engines["django"].from_string('{% include "live/_replay_tools.html" %}')
    return template.render({"session": session, "replay": replay}, request)


def test_viewers_get_speed_buttons_and_chapters_to_click_but_no_form(
    student, teacher, session, replay, django_assert_num_queries
):
    services.chapter_add(actor=teacher, recording=replay, at_seconds=95, title="例题")
    with django_assert_num_queries(1):  # the chapters
        html = render_tools(student, session, replay)
    for speed in ("0.75", "1", "1.25", "1.5", "2"):
        assert f'data-speed="{speed}"' in html
    assert html.count('aria-pressed="true"') == 1
    assert 'data-speed="1" aria-pressed="true"' in html
    assert '<button type="button" class="link chapter" data-at="95">' in html
    assert "chapter-form" not in html and "remove-chapter" not in html
    assert f'class="replay-tools" data-session-id="{session.pk}"' in html
    assert '<script src="/static/js/replay-tools.js" defer></script>' in html


def test_the_teacher_gets_the_chapter_form_and_the_tools_find_the_replay_themselves(
    teacher, session, replay, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the replay, the chapters
        html = render_tools(teacher, session, None)
    assert f'action="/live/recordings/{replay.pk}/chapters/"' in html
    assert 'name="at"' in html and 'name="title"' in html


def test_no_replay_no_tools(student, session, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert render_tools(student, session, None).strip() == ""
