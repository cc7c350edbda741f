import pytest

from eschool.org.models import Grade, Homeroom


def test_a_school_admin_sees_their_homerooms_in_order_with_links_to_the_sheets(
    english, school_admin, school_a, student
):
    Homeroom.objects.create(school=school_a, grade=Grade.objects.get(level=8), number=1)
    Homeroom.objects.create(school=school_a, grade=Grade.objects.get(level=7), number=1)
    english.force_login(school_admin)
    response = english.get(f"/accounts/schools/{school_a.pk}/")
    assert response.status_code == 200
    assert [str(h) for h in response.context["homerooms"]] == [
        "Grade 7 class 1",
        "Grade 7 class 3",
        "Grade 8 class 1",
    ]
    homeroom = student.student.homeroom
    assert f'href="/accounts/homerooms/{homeroom.pk}/passwords/"' in response.content.decode()


def test_a_school_admin_cannot_open_another_school(client, school_admin, school_b):
    client.force_login(school_admin)
    assert client.get(f"/accounts/schools/{school_b.pk}/").status_code == 404


def test_the_district_admin_opens_any_school(client, district_admin, school_b):
    client.force_login(district_admin)
    assert client.get(f"/accounts/schools/{school_b.pk}/").status_code == 200


@pytest.mark.parametrize("persona", ["teacher", "student", "parent", "stranger", "outside_learner"])
def test_people_who_administer_nothing_get_a_404(client, personas, school_a, persona):
    client.force_login(personas[persona])
    assert client.get(f"/accounts/schools/{school_a.pk}/").status_code == 404
