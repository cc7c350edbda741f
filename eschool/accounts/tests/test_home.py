"""Each role's own page at /accounts/."""

from eschool.accounts.models import Guardianship

HOME = "/accounts/"


def page(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response, response.content.decode()


def test_the_page_needs_a_login(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/"


def test_a_district_admin_finds_the_admin_site_schools_import_and_exports(english, district_admin):
    _response, html = page(english, district_admin)
    assert 'href="/admin/"' in html
    assert 'href="/accounts/schools/"' in html
    assert "Import from a spreadsheet" in html
    assert "Exports" in html


def test_a_school_admin_finds_their_schools_homerooms_and_people(english, school_admin, school_a):
    _response, html = page(english, school_admin)
    assert "南京市鼓楼区示范初级中学" in html
    assert f'href="/accounts/schools/{school_a.pk}/"' in html
    assert f'href="/accounts/schools/{school_a.pk}/people/"' in html
    assert 'href="/admin/"' not in html


def test_a_teacher_sees_their_school_subjects_and_grades(english, teacher):
    response, html = page(english, teacher)
    profile = response.context["profile"]
    assert profile.school.name == "南京市鼓楼区示范初级中学"
    # Subject and grade names are Chinese data; English pages show their translation.
    # Joined with the English list separator, not the Chinese 、.
    assert "<dd>Chinese, Mathematics</dd>" in html
    assert "<dd>Grade 7</dd>" in html
    assert "My sessions" in html


def test_a_student_sees_their_school_grade_and_homeroom(english, student):
    _response, html = page(english, student)
    assert "南京市鼓楼区示范初级中学" in html
    assert "Grade 7 class 3" in html


def test_a_parent_sees_their_children_and_only_theirs(english, parent, student, stranger):
    response, html = page(english, parent)
    assert [child.pk for child in response.context["children"]] == [student.pk]
    assert f'href="/accounts/children/{student.pk}/"' in html
    assert "王五" not in html


def test_an_outside_learner_sees_their_region_school_and_grade(english, outside_learner):
    _response, html = page(english, outside_learner)
    assert "黄石市" in html
    assert "黄石市示范初级中学" in html
    assert "<dd>Grade 7</dd>" in html


def test_every_page_offers_to_change_the_password(english, personas):
    for user in personas.values():
        _response, html = page(english, user)
        assert 'href="/accounts/password/"' in html


def test_a_teacher_sees_their_own_sessions_of_the_next_two_weeks_published_or_not(
    english, teacher, school_a
):
    import datetime as dt

    from eschool.accounts.models import Teacher
    from eschool.classroom.models import Session
    from eschool.core import timeutil

    today = timeutil.today()

    def session(title, day, teacher_user):
        start = timeutil.at_local(day, dt.time(8, 0))
        return Session.objects.create(
            title=title,
            stage="junior",
            teacher=Teacher.objects.get(user=teacher_user),
            day=day,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=40),
        )

    mine = session("下周的课", today + dt.timedelta(days=7), teacher)
    session("三周后的课", today + dt.timedelta(days=21), teacher)
    english.force_login(teacher)

    response = english.get("/accounts/")

    assert [s.title for s in response.context["sessions"]] == ["下周的课"]
    # Not yet published, but its own teacher may open it.
    assert english.get(f"/sessions/{mine.pk}/").status_code == 200


def test_a_teacher_who_is_a_parent_sees_their_children(english, teacher, student, stranger):
    Guardianship.objects.create(guardian=teacher, student=student.student)

    response, html = page(english, teacher)

    assert [child.pk for child in response.context["children"]] == [student.pk]
    assert "My children" in html
    assert f'href="/accounts/children/{student.pk}/"' in html
    assert english.get(f"/accounts/children/{student.pk}/").status_code == 200
    assert english.get(f"/accounts/children/{stranger.pk}/").status_code == 404


def test_a_teacher_without_children_sees_no_children_section(english, teacher):
    _response, html = page(english, teacher)

    assert "My children" not in html
