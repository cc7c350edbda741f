"""Choosing one's own password at first login."""

import pytest

from config import settings as project_settings
from eschool.accounts.models import User

FIRST = "/accounts/password/first/"


def assert_still_on_the_initial_password(before):
    after = User.objects.get(pk=before.pk)
    assert (after.password, after.must_change_password, after.initial_password_nonce) == (
        before.password,
        True,
        before.initial_password_nonce,
    )


def test_someone_on_the_initial_password_is_sent_to_choose_their_own(
    client, student, on_initial_password
):
    on_initial_password(student)
    client.force_login(student)
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response.url == "/accounts/password/first/?next=/accounts/"


def test_the_page_has_two_labelled_password_fields(english, student, on_initial_password):
    on_initial_password(student)
    english.force_login(student)
    html = english.get(FIRST).content.decode()
    assert '<label for="id_new_password1">New password:</label>' in html
    assert '<label for="id_new_password2">New password confirmation:</label>' in html


def test_choosing_a_password_clears_the_initial_one_and_keeps_the_session(
    client, student, on_initial_password
):
    printed = on_initial_password(student)
    client.force_login(student)
    response = client.post(
        FIRST,
        {"new_password1": "blue-river-77", "new_password2": "blue-river-77", "next": "/accounts/"},
    )
    assert response.status_code == 302
    assert response.url == "/accounts/"
    student.refresh_from_db()
    assert student.must_change_password is False
    assert student.initial_password_nonce == ""
    assert student.check_password("blue-river-77")
    # Still logged in, and the page that was blocked now opens.
    assert client.get("/accounts/").status_code == 200
    # The printed password no longer logs in.
    client.logout()
    client.post("/accounts/login/", {"username": "00123", "password": printed})
    assert client.session.get("_auth_user_id") is None


def test_a_weak_password_is_refused_and_nothing_changes(english, student, on_initial_password):
    on_initial_password(student)
    before = User.objects.get(pk=student.pk)
    english.force_login(student)
    response = english.post(FIRST, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert "This password is too common." in errors
    assert "This password is entirely numeric." in errors
    assert_still_on_the_initial_password(before)


def test_two_different_passwords_are_refused(english, student, on_initial_password):
    on_initial_password(student)
    english.force_login(student)
    response = english.post(
        FIRST, {"new_password1": "blue-river-77", "new_password2": "blue-river-78"}
    )
    assert response.context["form"].errors["new_password2"] == [
        "The two password fields didn’t match."
    ]
    student.refresh_from_db()
    assert student.must_change_password is True


def test_a_next_address_on_another_site_is_ignored(client, student, on_initial_password):
    on_initial_password(student)
    client.force_login(student)
    response = client.post(
        FIRST,
        {
            "new_password1": "blue-river-77",
            "new_password2": "blue-river-77",
            "next": "https://evil.example/",
        },
    )
    assert response.url == "/accounts/"


def test_someone_with_their_own_password_is_sent_on(client, student):
    client.force_login(student)
    response = client.get(FIRST + "?next=/accounts/")
    assert response.status_code == 302
    assert response.url == "/accounts/"


def test_the_project_hashes_passwords_with_argon2(settings, client, student, on_initial_password):
    # conftest swaps in MD5 for speed; put the project's real list back for this one.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert project_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    on_initial_password(student)
    client.force_login(student)
    client.post(FIRST, {"new_password1": "blue-river-77", "new_password2": "blue-river-77"})
    student.refresh_from_db()
    assert student.password.startswith("argon2$argon2id$")
    assert student.check_password("blue-river-77")


@pytest.mark.parametrize("typed", ["as printed", "in capitals"])
def test_the_printed_password_is_refused_as_the_new_one(
    english, student, on_initial_password, typed
):
    printed = on_initial_password(student)
    new = printed if typed == "as printed" else printed.upper()
    before = User.objects.get(pk=student.pk)
    english.force_login(student)
    response = english.post(
        FIRST, {"new_password1": new, "new_password2": new, "next": "/classroom/mine/"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "new_password1": ["The new password must not be the printed initial password."]
    }
    html = response.content.decode()
    assert "The new password must not be the printed initial password." in html
    # Django's usual form: the passwords are not sent back, the rest is kept.
    assert new not in html
    assert '<input type="hidden" name="next" value="/classroom/mine/">' in html
    assert_still_on_the_initial_password(before)
    # The printed password still logs in, and still leads to this page.
    english.logout()
    english.post("/accounts/login/", {"username": "00123", "password": printed})
    assert english.session["_auth_user_id"] == str(student.pk)
    assert english.get("/accounts/").url == "/accounts/password/first/?next=/accounts/"
