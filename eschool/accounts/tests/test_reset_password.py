"""Administrators reset passwords: who may reset whom, and what a reset does."""

import pytest

from eschool.accounts.models import User
from eschool.accounts.passwords import initial_password

ALLOWED = [
    # (actor, target)
    ("district_admin", "student"),
    ("district_admin", "parent"),
    ("district_admin", "teacher"),
    ("district_admin", "school_admin"),
    ("district_admin", "stranger"),
    ("school_admin", "student"),
    ("school_admin", "parent"),
    ("school_admin", "teacher"),
]
DENIED = [
    ("school_admin", "stranger"),
    ("school_admin", "stranger_parent"),
    ("school_admin", "district_admin"),
    ("school_admin", "outside_learner"),
    ("teacher", "student"),
    ("student", "student"),
    ("parent", "student"),
    ("parent", "parent"),
    ("stranger", "student"),
    ("outside_learner", "student"),
]


@pytest.fixture
def people(personas):
    return {**personas, "stranger_parent": User.objects.get(username="13600136003")}


def url(user):
    return f"/accounts/people/{user.pk}/reset-password/"


def snapshot(user):
    user = User.objects.get(pk=user.pk)
    return (user.password, user.must_change_password, user.initial_password_nonce)


@pytest.mark.parametrize(("actor", "target"), ALLOWED)
def test_an_administrator_resets_a_password_and_sees_the_new_one_once(
    english, people, actor, target
):
    person = people[target]
    english.force_login(people[actor])
    assert english.get(url(person)).status_code == 200
    response = english.post(url(person))
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.must_change_password is True
    assert len(person.initial_password_nonce) == 16
    assert person.has_usable_password() is False
    new_password = initial_password(person)
    assert response.context["password"] == new_password
    assert f"<code>{new_password}</code>" in response.content.decode()
    assert response.headers["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    html = response.content.decode()
    # The same password is on the person's sheet until they change it: the page says so.
    assert "it is also on their password sheet, which you can print again" in html
    # Back to the list the administrator came from, where the person has a school.
    back = f'href="/accounts/schools/{person.school_id}/people/"'
    assert (back in html) is (person.school_id is not None)


@pytest.mark.parametrize(("actor", "target"), DENIED)
def test_a_reset_outside_ones_reach_is_a_404_and_changes_nothing(client, people, actor, target):
    person = people[target]
    before = snapshot(person)
    client.force_login(people[actor])
    assert client.get(url(person)).status_code == 404
    assert client.post(url(person)).status_code == 404
    assert snapshot(person) == before


def test_the_new_initial_password_logs_in(client, district_admin, student):
    client.force_login(district_admin)
    password = client.post(url(student)).context["password"]
    client.logout()
    response = client.post("/accounts/login/", {"username": "00123", "password": password})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(student.pk)


def test_each_reset_gives_a_different_password(client, school_admin, student):
    client.force_login(school_admin)
    first = client.post(url(student)).context["password"]
    second = client.post(url(student)).context["password"]
    assert first != second


def test_the_service_refuses_an_actor_without_the_right(stranger, school_admin):
    from django.core.exceptions import PermissionDenied

    from eschool.accounts.services import user_reset_password

    before = snapshot(stranger)
    with pytest.raises(PermissionDenied):
        user_reset_password(actor=school_admin, user=stranger)
    assert snapshot(stranger) == before


def test_an_anonymous_visitor_is_sent_to_log_in(client, student):
    before = snapshot(student)
    response = client.post(url(student))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert snapshot(student) == before


def test_an_unknown_person_is_a_404(client, district_admin):
    client.force_login(district_admin)
    assert client.get("/accounts/people/999999/reset-password/").status_code == 404
