"""The printable sheet of initial passwords of a school's teachers."""

import pytest

from eschool.accounts.models import Role, Teacher, User
from eschool.core.testing import make_user
from eschool.org.importing import import_file
from eschool.org.models import School
from eschool.org.tests.conftest import case_path


def sheet_url(school):
    return f"/accounts/schools/{school.pk}/teachers/passwords/"


@pytest.mark.parametrize("persona", ["district_admin", "school_admin"])
def test_the_schools_admin_and_the_district_admin_open_the_sheet(
    client, personas, school_a, persona
):
    client.force_login(personas[persona])
    assert client.get(sheet_url(school_a)).status_code == 200


@pytest.mark.parametrize("persona", ["teacher", "student", "parent", "stranger", "outside_learner"])
def test_nobody_else_opens_the_sheet(client, personas, school_a, persona):
    client.force_login(personas[persona])
    assert client.get(sheet_url(school_a)).status_code == 404


def test_a_school_admin_cannot_open_another_schools_sheet(
    client, school_admin, school_b, on_initial_password
):
    other = make_user("T0003", "刘老师", Role.TEACHER, school=school_b)
    on_initial_password(other)
    client.force_login(school_admin)
    response = client.get(sheet_url(school_b))
    assert response.status_code == 404
    assert "刘老师" not in response.content.decode()


def test_the_district_admin_opens_any_schools_sheet(client, district_admin, school_b):
    make_user("T0003", "刘老师", Role.TEACHER, school=school_b)
    client.force_login(district_admin)
    response = client.get(sheet_url(school_b))
    assert response.status_code == 200
    assert [line.username for line in response.context["lines"]] == ["T0003"]


def test_an_unknown_school_is_a_404(client, district_admin):
    client.force_login(district_admin)
    assert School.objects.filter(pk=999999).exists() is False
    assert client.get("/accounts/schools/999999/teachers/passwords/").status_code == 404


def test_imported_teachers_get_their_printed_passwords_and_log_in_with_them(client, db):
    assert import_file(case_path("schools_gbk.csv")).committed
    assert import_file(case_path("teachers.xlsx")).committed
    school = School.objects.get(code="320106001")
    make_user("SA001", "学校管理员", Role.SCHOOL_ADMIN, school=school)
    client.force_login(User.objects.get(username="SA001"))
    lines = client.get(sheet_url(school)).context["lines"]
    # Only this school's teachers (T0003 is of 320106002), by staff number.
    assert [line.username for line in lines] == ["T0001", "T0002"]
    assert all(line.initial_password for line in lines)
    t0001 = lines[0]
    assert t0001.name == User.objects.get(username="T0001").name

    client.logout()
    client.post("/accounts/login/", {"username": "T0001", "password": t0001.initial_password})
    assert client.session["_auth_user_id"] == str(t0001.user_id)
    # …and is sent to choose their own.
    assert client.get("/accounts/").url == "/accounts/password/first/?next=/accounts/"


def test_the_sheet_shows_the_password_of_a_teacher_still_on_it_and_a_dash_otherwise(
    english, school_admin, teacher, school_a, student, on_initial_password
):
    printed = on_initial_password(teacher)
    make_user("T0002", "李老师", Role.TEACHER, school=school_a)  # chose their own
    english.force_login(school_admin)
    response = english.get(sheet_url(school_a))
    lines = response.context["lines"]
    # Students and administrators of the school are not on it.
    assert [(line.name, line.username, line.initial_password) for line in lines] == [
        ("陈老师", "T0001", printed),
        ("李老师", "T0002", None),
    ]
    html = response.content.decode()
    assert printed in html
    assert "南京市鼓楼区示范初级中学 · Teachers · Initial passwords" in html
    dash = f'<td class="password">— <a class="no-print" href="/accounts/people/{lines[1].user_id}/'
    assert dash in html


def test_the_printed_sheet_says_where_and_how_to_log_in(english, school_admin, school_a):
    english.force_login(school_admin)
    html = english.get(sheet_url(school_a)).content.decode()
    instructions = html.split('<div class="sheet-instructions">')[1].split("</div>")[0]
    assert 'class="no-print"' not in instructions
    assert '<span class="sheet-login-url">http://testserver/accounts/login/</span>' in instructions
    assert "Log in with your staff number or your mobile number" in instructions
    assert "@page { size: A4 portrait;" in html


def test_the_school_page_links_to_the_teachers_sheet(english, school_admin, school_a):
    english.force_login(school_admin)
    html = english.get(f"/accounts/schools/{school_a.pk}/").content.decode()
    assert f'href="/accounts/schools/{school_a.pk}/teachers/passwords/"' in html


def test_the_sheet_takes_the_same_number_of_queries_whatever_its_size(
    client, school_admin, teacher, school_a, django_assert_num_queries
):
    client.force_login(school_admin)
    # session, user, school, teachers, the header's unread notifications
    with django_assert_num_queries(5):
        client.get(sheet_url(school_a))
    for i in range(10):
        user = make_user(f"T1{i:03d}", f"老师{i}", Role.TEACHER, school=school_a)
        Teacher.objects.create(user=user, school=school_a)
    with django_assert_num_queries(5):
        response = client.get(sheet_url(school_a))
    assert len(response.context["lines"]) == 11
