"""The printable sheet of initial passwords of a homeroom."""

import pytest

from eschool.accounts.models import Guardianship, Role, Student, User
from eschool.core.testing import make_user
from eschool.org.models import Homeroom


def sheet_url(homeroom):
    return f"/accounts/homerooms/{homeroom.pk}/passwords/"


@pytest.fixture
def homeroom(student):
    return student.student.homeroom


@pytest.fixture
def other_homeroom(stranger):
    return stranger.student.homeroom


@pytest.mark.parametrize("persona", ["district_admin", "school_admin"])
def test_the_schools_admin_and_the_district_admin_open_the_sheet(
    client, personas, homeroom, persona
):
    client.force_login(personas[persona])
    assert client.get(sheet_url(homeroom)).status_code == 200


@pytest.mark.parametrize("persona", ["teacher", "student", "parent", "stranger", "outside_learner"])
def test_nobody_else_opens_the_sheet(client, personas, homeroom, persona):
    client.force_login(personas[persona])
    assert client.get(sheet_url(homeroom)).status_code == 404


def test_a_school_admin_cannot_open_another_schools_sheet(client, school_admin, other_homeroom):
    client.force_login(school_admin)
    assert client.get(sheet_url(other_homeroom)).status_code == 404


def test_the_sheet_shows_initial_passwords_of_students_and_parents_still_on_them(
    english, school_admin, student, parent, on_initial_password
):
    student_password = on_initial_password(student)
    parent_password = on_initial_password(parent)
    english.force_login(school_admin)
    response = english.get(sheet_url(student.student.homeroom))
    lines = response.context["lines"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.name, line.username, line.initial_password) == ("张三", "00123", student_password)
    assert [(p.name, p.phone, p.initial_password) for p in line.parents] == [
        ("张建国", "13800138000", parent_password)
    ]
    html = response.content.decode()
    assert student_password in html
    assert parent_password in html
    assert "南京市鼓楼区示范初级中学 · Grade 7 class 3 · Initial passwords" in html
    # Prints on A4 with rows kept whole.
    assert "@page { size: A4 portrait;" in html
    assert "break-inside: avoid" in html


def test_someone_who_chose_their_own_password_shows_a_dash(client, school_admin, student, parent):
    client.force_login(school_admin)
    response = client.get(sheet_url(student.student.homeroom))
    line = response.context["lines"][0]
    assert line.initial_password is None
    assert line.parents[0].initial_password is None
    html = response.content.decode()
    reset = f'<a class="no-print" href="/accounts/people/{student.pk}/reset-password/">'
    assert f'<td class="password">— {reset}' in html
    assert f'href="/accounts/people/{parent.pk}/reset-password/"' in html


def test_students_are_listed_by_number_and_other_homerooms_are_left_out(
    client, school_admin, student, stranger, grade7
):
    homeroom = student.student.homeroom
    for number, name in [("00200", "赵六"), ("00050", "钱七")]:
        user = make_user(number, name, Role.STUDENT, school=homeroom.school)
        Student.objects.create(user=user, school=homeroom.school, grade=grade7, homeroom=homeroom)
    client.force_login(school_admin)
    lines = client.get(sheet_url(homeroom)).context["lines"]
    assert [line.username for line in lines] == ["00050", "00123", "00200"]


def test_the_sheet_takes_the_same_number_of_queries_whatever_its_size(
    client, school_admin, student, parent, grade7, django_assert_num_queries
):
    homeroom = student.student.homeroom
    client.force_login(school_admin)
    # session, user, homeroom, students, their guardianships with the guardians,
    # the header's unread notifications
    with django_assert_num_queries(6):
        client.get(sheet_url(homeroom))
    for i in range(10):
        user = make_user(f"01{i:03d}", f"学生{i}", Role.STUDENT, school=homeroom.school)
        child = Student.objects.create(
            user=user, school=homeroom.school, grade=grade7, homeroom=homeroom
        )
        for j in range(2):
            guardian = make_user(f"1350000{i:02d}{j:02d}", f"家长{i}{j}", Role.PARENT)
            Guardianship.objects.create(guardian=guardian, student=child)
    with django_assert_num_queries(6):
        response = client.get(sheet_url(homeroom))
    assert len(response.context["lines"]) == 11
    assert User.objects.filter(role=Role.PARENT).count() == 21


def test_an_unknown_homeroom_is_a_404(client, district_admin):
    client.force_login(district_admin)
    assert Homeroom.objects.filter(pk=999999).exists() is False
    assert client.get("/accounts/homerooms/999999/passwords/").status_code == 404


def test_the_printed_sheet_says_where_and_how_to_log_in(english, school_admin, student):
    english.force_login(school_admin)
    html = english.get(sheet_url(student.student.homeroom)).content.decode()
    # The instructions are printed (nothing in them is marked no-print).
    instructions = html.split('<div class="sheet-instructions">')[1].split("</div>")[0]
    assert 'class="no-print"' not in instructions
    assert '<span class="sheet-login-url">http://testserver/accounts/login/</span>' in instructions
    assert "Students log in with their student number, parents with their mobile number" in (
        instructions
    )
    assert "The site then asks for a new password of their own" in instructions


def test_the_login_address_is_the_one_the_admin_opened_the_site_at(
    english, settings, school_admin, student
):
    settings.ALLOWED_HOSTS = ["eschool.gulou.example"]
    english.force_login(school_admin)
    response = english.get(
        sheet_url(student.student.homeroom), HTTP_HOST="eschool.gulou.example", secure=True
    )
    assert response.context["login_url"] == "https://eschool.gulou.example/accounts/login/"


def test_a_parent_line_names_the_parent_and_whose_parent_they_are(
    english, school_admin, student, parent, on_initial_password
):
    parent_password = on_initial_password(parent)
    english.force_login(school_admin)
    html = english.get(sheet_url(student.student.homeroom)).content.decode()
    parent_row = html.split('<tr class="parent">')[1].split("</tr>")[0]
    assert '<td>张建国<span class="whose">parent of 张三</span></td>' in parent_row
    assert '<td class="login">13800138000</td>' in parent_row
    assert f'<td class="password">{parent_password} ' in parent_row


def test_a_teacher_who_is_a_parent_has_no_password_on_the_homeroom_sheet(
    english, school_admin, student, teacher, on_initial_password
):
    # 陈老师 (T0001) is also 张三's parent; a homeroom sheet goes home with the children.
    teacher_password = on_initial_password(teacher)
    Guardianship.objects.create(guardian=teacher, student=student.student)
    english.force_login(school_admin)

    response = english.get(sheet_url(student.student.homeroom))

    [line] = response.context["lines"]
    assert [(p.name, p.phone, p.initial_password, p.staff) for p in line.parents] == [
        ("陈老师", "13900139000", None, True)
    ]
    html = response.content.decode()
    assert teacher_password not in html
    parent_row = html.split('<tr class="parent">')[1].split("</tr>")[0]
    assert "Staff account: its password is not printed here" in parent_row
    assert f"/accounts/people/{teacher.pk}/reset-password/" not in parent_row
