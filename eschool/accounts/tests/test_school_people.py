"""The list of a school's students and teachers: search and paging."""

import pytest

from eschool.accounts.models import Role, Student
from eschool.core.testing import make_user


def people_url(school):
    return f"/accounts/schools/{school.pk}/people/"


def add_students(school, grade7, homeroom, count):
    for i in range(count):
        user = make_user(f"S{i:04d}", f"学生{i}", Role.STUDENT, school=school, password=None)
        Student.objects.create(user=user, school=school, grade=grade7, homeroom=homeroom)


def test_the_list_shows_the_schools_students_and_teachers_only(
    client, school_admin, school_a, student, teacher, parent, stranger
):
    client.force_login(school_admin)
    response = client.get(people_url(school_a))
    assert response.status_code == 200
    assert [p.username for p in response.context["page"]] == ["00123", "T0001"]


def test_search_by_name_or_number(client, school_admin, school_a, student, teacher):
    client.force_login(school_admin)
    by_name = client.get(people_url(school_a), {"q": "陈"})
    assert [p.username for p in by_name.context["page"]] == ["T0001"]
    by_number = client.get(people_url(school_a), {"q": "0012"})
    assert [p.username for p in by_number.context["page"]] == ["00123"]
    assert 'value="0012"' in by_number.content.decode()


def test_fifty_a_page(english, school_admin, school_a, student, grade7):
    add_students(school_a, grade7, student.student.homeroom, 60)
    english.force_login(school_admin)
    first = english.get(people_url(school_a))
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.count == 61
    second = english.get(people_url(school_a), {"page": 2})
    assert [p.username for p in second.context["page"]][:2] == ["S0049", "S0050"]
    assert len(second.context["page"]) == 11
    assert "Page 2 of 2" in second.content.decode()


def test_the_number_of_queries_does_not_grow_with_the_page(
    client, school_admin, school_a, student, grade7, django_assert_num_queries
):
    client.force_login(school_admin)
    # session, user, school, count, page of people with homerooms and grades,
    # the header's unread notifications
    with django_assert_num_queries(6):
        client.get(people_url(school_a))
    add_students(school_a, grade7, student.student.homeroom, 60)
    with django_assert_num_queries(6):
        response = client.get(people_url(school_a))
    assert len(response.context["page"]) == 50


def test_a_school_admin_cannot_list_another_schools_people(client, school_admin, school_b):
    client.force_login(school_admin)
    assert client.get(people_url(school_b)).status_code == 404


@pytest.mark.parametrize("persona", ["teacher", "student", "parent", "stranger", "outside_learner"])
def test_people_who_administer_nothing_get_a_404(client, personas, school_a, persona):
    client.force_login(personas[persona])
    assert client.get(people_url(school_a)).status_code == 404
