"""Course pages, the lecture series, the parenting school and the session page's course line."""

import pytest
from django.utils import translation

from eschool.classroom.models import Kind, Speaker
from eschool.classroom.services import courses as course_services
from eschool.org.models import Grade, Stage

from .conftest import TODAY, TOMORROW, shanghai
from .courses_helpers import add_episode, add_material, book, lecture_series, use_tmp_storage

pytestmark = pytest.mark.django_db

DAY_AFTER = TOMORROW.replace(day=TOMORROW.day + 1)


@pytest.fixture(autouse=True)
def roots(settings, tmp_path):
    return use_tmp_storage(settings, tmp_path)


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_a_course_is_hidden_until_the_day_of_its_first_session_is_published(
    client, clock, district_admin, student
):
    course = lecture_series(district_admin)
    add_episode(district_admin, course, day=DAY_AFTER)  # public on TOMORROW at 18:00

    assert client.get(f"/courses/{course.pk}/").status_code == 404
    client.force_login(student)
    assert client.get(f"/courses/{course.pk}/").status_code == 404
    client.force_login(district_admin)
    assert client.get(f"/courses/{course.pk}/").status_code == 200

    clock.set(shanghai(TOMORROW, "18:00"))
    client.logout()
    assert client.get(f"/courses/{course.pk}/").status_code == 200


def test_an_unknown_course_is_not_found(client, district_admin):
    client.force_login(district_admin)
    assert client.get("/courses/999/").status_code == 404


def test_a_course_page_lists_its_published_episodes_by_date(client, clock, district_admin):
    clock.set(shanghai(TODAY, "18:30"))  # tomorrow is published, the day after is not
    course = lecture_series(district_admin)
    add_episode(district_admin, course, day=TOMORROW, title="第二讲 相似三角形")
    add_episode(district_admin, course, day=TODAY, title="第一讲 二次函数")
    add_episode(district_admin, course, day=DAY_AFTER, title="第三讲 压轴题")

    response = english(client).get(f"/courses/{course.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>中考数学专题</h1>" in html
    assert "函数与几何综合" in html
    assert "<strong>李明</strong> · 教授" in html
    assert "南京大学" in html
    first, second = html.index("第一讲 二次函数"), html.index("第二讲 相似三角形")
    assert first < second
    assert "第三讲 压轴题" not in html  # its day is not published yet
    assert response["Cache-Control"] == "public, max-age=60"

    client.force_login(district_admin)
    assert "第三讲 压轴题" in english(client).get(f"/courses/{course.pk}/").content.decode()


def test_an_episode_without_a_teacher_shows_its_seats_without_a_separator_first(
    client, clock, district_admin, teacher
):
    course = lecture_series(district_admin)
    add_episode(district_admin, course, start="20:00", end="20:45", capacity=300)
    add_episode(district_admin, course, capacity=300, teacher=teacher.teacher)

    html = english(client).get(f"/courses/{course.pk}/").content.decode()

    assert '<span class="meta">300 seats</span>' in html
    assert f'<span class="meta">{teacher.name} · 300 seats</span>' in html


def test_titles_descriptions_and_speaker_names_are_escaped(client, clock, district_admin):
    speaker = Speaker.objects.create(name="<b>王</b>", title="<i>教授</i>")
    course = lecture_series(
        district_admin,
        title="数学<script>alert(1)</script>",
        description='<img src=x onerror="alert(2)">',
        speakers=[speaker],
    )
    add_episode(district_admin, course, title="第一讲<script>alert(3)</script>")

    html = client.get(f"/courses/{course.pk}/").content.decode()
    lectures = client.get("/lectures/").content.decode()

    for page in (html, lectures):
        assert "<script>alert" not in page
        assert "数学&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<b>王</b>" not in page
        assert "&lt;b&gt;王&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "第一讲&lt;script&gt;alert(3)&lt;/script&gt;" in html


def test_the_lecture_series_list_shows_speakers_newest_first(client, clock, district_admin):
    clock.set(shanghai(TODAY, "18:30"))
    older = lecture_series(district_admin, title="中考语文专题")
    add_episode(district_admin, older, day=TODAY, start="19:00", end="19:45")
    add_episode(district_admin, older, day=TOMORROW, start="19:00", end="19:45")
    newer = course_services.course_create(
        actor=district_admin,
        kind=Kind.LECTURE,
        title="人工智能与未来",
        stage=Stage.SENIOR,
        speakers=[Speaker.objects.create(name="周华", title="教授", institution="东南大学")],
    )
    add_episode(
        district_admin,
        newer,
        day=TOMORROW,
        start="20:00",
        end="21:00",
        grades=Grade.objects.filter(level=10),
    )
    hidden = lecture_series(district_admin, title="未发布的讲座")
    add_episode(district_admin, hidden, day=DAY_AFTER)
    course_services.course_create(actor=district_admin, kind=Kind.CLASS, title="不是讲座")

    response = english(client).get("/lectures/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("人工智能与未来") < html.index("中考语文专题")
    assert '<strong>周华</strong> · 教授 <span class="muted">东南大学</span>' in html
    assert '<strong>李明</strong> · 教授 <span class="muted">南京大学</span>' in html
    assert "2 episodes · next on 12/7 19:00" in html
    assert "1 episode · next on 12/8 20:00" in html
    assert "未发布的讲座" not in html
    assert "不是讲座" not in html


def test_the_lecture_list_has_a_fixed_number_of_queries(
    client, clock, district_admin, django_assert_num_queries
):
    for number in range(3):
        course = lecture_series(district_admin, title=f"专题{number}")
        add_episode(district_admin, course, start=f"1{number}:00", end=f"1{number}:30")

    with django_assert_num_queries(4):  # publication of tomorrow, series, grades, speakers
        response = client.get("/lectures/")
    assert response.status_code == 200


def parenting_course(admin, title, levels):
    return course_services.course_create(
        actor=admin,
        kind=Kind.PARENTING,
        title=title,
        stage=Stage.KINDERGARTEN,
        grades=Grade.objects.filter(level__in=levels),
    )


def test_the_parenting_school_lists_courses_by_age_group_with_todays_and_upcoming_sessions(
    client, clock, district_admin
):
    clock.set(shanghai(TODAY, "18:30"))
    sleep = parenting_course(district_admin, "好好睡觉", [-2])
    add_episode(district_admin, sleep, day=TODAY, start="20:00", end="20:30", title="睡前仪式")
    add_episode(district_admin, sleep, day=TODAY, start="08:00", end="08:30", title="早上已结束")
    add_episode(district_admin, sleep, day=TOMORROW, start="20:00", end="20:30", title="夜醒")
    add_episode(district_admin, sleep, day=DAY_AFTER, start="20:00", end="20:30", title="未发布")
    school = parenting_course(district_admin, "幼小衔接", [-1, 0])
    add_episode(district_admin, school, day=TOMORROW, start="19:00", end="19:30", title="握笔")

    response = english(client).get("/parenting/")

    html = response.content.decode()
    assert response.status_code == 200
    small = html.index("Kindergarten (junior class)")
    middle = html.index("Kindergarten (middle class)")
    big = html.index("Kindergarten (senior class)")
    assert small < html.index("好好睡觉") < middle < html.index("幼小衔接") < big
    assert html.count("幼小衔接") == 2  # under 中班 and under 大班
    assert "Today 20:00" in html
    assert "12/8 20:00" in html
    assert "睡前仪式" in html and "夜醒" in html and "握笔" in html
    assert "早上已结束" not in html
    assert "未发布" not in html


def test_a_course_for_every_age_group_lists_under_each_only_that_groups_sessions(
    client, clock, district_admin, django_assert_num_queries
):
    # The demo's course: one evening session a day for each of 小班, 中班 and 大班.
    clock.set(shanghai(TODAY, "18:30"))
    course = parenting_course(district_admin, "宝爸宝妈学堂", [-2, -1, 0])
    for level, start, end, title in (
        (-2, "19:30", "20:00", "入园适应"),
        (-1, "20:00", "20:30", "绘本共读"),
        (0, "20:30", "21:00", "握笔"),
    ):
        add_episode(
            district_admin,
            course,
            start=start,
            end=end,
            title=title,
            grades=Grade.objects.filter(level=level),
        )
    add_episode(district_admin, course, day=TOMORROW, start="19:00", end="19:20", title="家长问答")

    # Whether the day after tomorrow was published early; the courses, their grades, speakers,
    # upcoming sessions and those sessions' grades; the age groups. Whatever the number of rows.
    with django_assert_num_queries(7):
        response = english(client).get("/parenting/")

    html = response.content.decode()
    small = html.index("Kindergarten (junior class)")
    middle = html.index("Kindergarten (middle class)")
    big = html.index("Kindergarten (senior class)")
    assert html.count("宝爸宝妈学堂") == 3  # once under each age group
    # Each group: its own session, then the one for no particular group (all three grades).
    assert small < html.index("入园适应") < html.index("家长问答") < middle
    assert middle < html.index("绘本共读") < big < html.index("握笔")
    assert html.count("入园适应") == html.count("绘本共读") == html.count("握笔") == 1
    assert html.count("家长问答") == 3


def test_the_session_page_links_its_series_with_speakers_and_materials(
    client, clock, district_admin, student
):
    course = lecture_series(district_admin)
    session = add_episode(district_admin, course, title="第一讲 二次函数")
    material = add_material(district_admin, course, title="二次函数讲义")

    response = english(client).get(f"/sessions/{session.pk}/")

    html = response.content.decode()
    assert "Part of the series:" in html
    assert f'<a href="/courses/{course.pk}/">中考数学专题</a>' in html
    assert "<strong>李明</strong> · 教授" in html
    assert "二次函数讲义" in html
    assert f"/materials/{material.pk}/" not in html
    assert "Materials can be downloaded after booking a session" in html

    book(student, session)
    client.force_login(student)
    html = english(client).get(f"/sessions/{session.pk}/").content.decode()
    assert f'<a href="/materials/{material.pk}/" download>二次函数讲义</a>' in html
    assert "Materials can be downloaded after booking" not in html


def test_a_session_without_a_course_shows_no_course_line(client, clock, make_session):
    session = make_session()

    html = english(client).get(f"/sessions/{session.pk}/").content.decode()

    assert "Part of the" not in html


def test_the_course_line_is_translated(client, clock, district_admin):
    course = lecture_series(district_admin)
    session = add_episode(district_admin, course)
    with translation.override("zh-hans"):
        expected = translation.gettext("Part of the series:")

    html = client.get(f"/sessions/{session.pk}/").content.decode()

    assert expected in html


def test_a_series_page_offers_its_short_link_and_qr_code(client, clock, district_admin):
    course = lecture_series(district_admin)
    add_episode(district_admin, course, day=TODAY, title="第一讲 二次函数")

    html = english(client).get(f"/courses/{course.pk}/").content.decode()

    assert f'value="http://testserver/c/{course.share_code}"' in html
    assert f'src="/c/{course.share_code}/qr.svg"' in html
    assert client.get(f"/c/{course.share_code}").headers["Location"] == f"/courses/{course.pk}/"
