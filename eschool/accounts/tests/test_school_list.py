import pytest


def test_the_district_admin_sees_every_school(client, district_admin, school_a, school_b):
    client.force_login(district_admin)
    response = client.get("/accounts/schools/")
    assert response.status_code == 200
    assert [s.code for s in response.context["schools"]] == ["320106001", "320106002"]
    assert f'href="/accounts/schools/{school_b.pk}/"' in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["school_admin", "teacher", "student", "parent", "stranger", "outside_learner"]
)
def test_nobody_else_sees_the_list_of_schools(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get("/accounts/schools/").status_code == 404
