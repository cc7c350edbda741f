"""The Django admin, for district administrators, in Chinese by default."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eschool.accounts.models import User

CHANGELISTS = [
    "/admin/accounts/user/",
    "/admin/accounts/student/",
    "/admin/accounts/teacher/",
    "/admin/accounts/guardianship/",
    "/admin/accounts/outsidelearner/",
    "/admin/org/region/",
    "/admin/org/school/",
    "/admin/org/grade/",
    "/admin/org/subject/",
    "/admin/org/homeroom/",
    "/admin/classroom/session/",
]


def test_the_district_admin_enters_and_the_site_is_called_eschool(english, district_admin):
    english.force_login(district_admin)
    response = english.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/admin/">eSchool</a>' in html
    assert "District administration" in html


def test_the_admin_is_in_chinese_by_default(client, district_admin):
    client.force_login(district_admin)
    html = client.get("/admin/").content.decode()
    assert 'lang="zh-hans"' in html
    # Django's own Chinese for "View site", and ours for the header and "Log out".
    assert "查看站点" in html
    assert "教育局管理" in html
    assert "退出" in html
    # Headings for screen readers that Django's catalogue lacks (eschool.core.django_strings).
    assert '<th scope="col">模型名称</th>' in html
    assert "Model name" not in html


@pytest.mark.parametrize("url", CHANGELISTS)
def test_every_list_opens_for_the_district_admin(client, personas, url):
    client.force_login(personas["district_admin"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "persona", ["school_admin", "teacher", "student", "parent", "stranger", "outside_learner"]
)
def test_people_who_are_not_staff_are_sent_to_the_admin_login(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_users_are_searched_by_name_number_or_phone(client, personas):
    client.force_login(personas["district_admin"])
    for query in ["张建国", "13800138000", "00123"]:
        response = client.get("/admin/accounts/user/", {"q": query})
        found = sorted(u.username for u in response.context["cl"].result_list)
        assert (
            found
            == {"张建国": ["13800138000"], "13800138000": ["13800138000"], "00123": ["00123"]}[
                query
            ]
        )


def test_users_are_filtered_by_role_and_school(client, personas, school_a):
    client.force_login(personas["district_admin"])
    response = client.get("/admin/accounts/user/", {"role": "student"})
    assert sorted(u.username for u in response.context["cl"].result_list) == ["00123", "01126"]
    response = client.get("/admin/accounts/user/", {"school__id__exact": school_a.pk})
    assert sorted(u.username for u in response.context["cl"].result_list) == [
        "00123",
        "SA001",
        "T0001",
    ]


def test_the_user_list_takes_the_same_number_of_queries_whatever_its_length(client, personas):
    client.force_login(personas["district_admin"])
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/accounts/user/")
    for i in range(20):
        User.objects.create_user(
            f"X{i:03d}", name=f"人{i}", role="student", school=personas["student"].school
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/admin/accounts/user/")
    assert len(many) == len(few)


def test_the_admin_login_is_throttled_like_the_site_login(english, district_admin):
    for _ in range(5):
        english.post("/admin/login/", {"username": "admin", "password": "nope-nope"})
    response = english.post("/admin/login/", {"username": "admin", "password": "correct-horse-42"})
    assert response.status_code == 200
    assert "Too many failed attempts for this login." in response.content.decode()
    assert english.session.get("_auth_user_id") is None


def test_the_admin_login_lets_the_district_admin_in(client, district_admin):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": "correct-horse-42"}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(district_admin.pk)


def test_logging_out_of_the_admin_returns_to_the_timetable(client, district_admin):
    client.force_login(district_admin)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session.get("_auth_user_id") is None


def test_a_persons_page_and_the_add_page_open(client, personas):
    client.force_login(personas["district_admin"])
    student = personas["student"]
    assert client.get(f"/admin/accounts/user/{student.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/user/add/").status_code == 200
    assert client.get(f"/admin/accounts/student/{student.pk}/change/").status_code == 200
    assert (
        client.get(f"/admin/accounts/teacher/{personas['teacher'].pk}/change/").status_code == 200
    )


def test_the_district_admin_adds_a_person_in_the_admin(client, personas, school_a):
    client.force_login(personas["district_admin"])
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "T0002",
            "name": "李老师",
            "role": "teacher",
            "school": school_a.pk,
            "phone": "",
            "usable_password": "false",
            "password1": "",
            "password2": "",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="T0002")
    assert (user.name, user.role, user.school, user.phone) == ("李老师", "teacher", school_a, None)
    assert user.has_usable_password() is False
