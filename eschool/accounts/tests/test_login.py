"""The login page: number or mobile number, a password, and a brute-force throttle."""

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from eschool.accounts.models import Role
from eschool.accounts.services import (
    ADDRESS_FAILURE_LIMIT,
    _throttle_keys,
    login_failure_record,
)
from eschool.core.testing import PASSWORD, make_user

LOGIN = "/accounts/login/"
WRONG = "The number or the password is not correct. Check both and try again."
LOCKED = "Too many failed attempts for this login. Wait 15 minutes, then try again."


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_the_page_labels_both_fields(english):
    response = english.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Student/staff number or mobile number:</label>' in html
    assert '<label for="id_password">Password:</label>' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html


def test_a_student_logs_in_with_their_number(client, student):
    response = client.post(LOGIN, {"username": "00123", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/accounts/"
    assert logged_in_user_id(client) == str(student.pk)


def test_a_parent_logs_in_with_their_mobile_number_however_it_is_written(client, parent):
    response = client.post(LOGIN, {"username": "+86 138-0013-8000", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(parent.pk)


def test_a_teacher_logs_in_with_their_mobile_number(client, teacher):
    response = client.post(LOGIN, {"username": "13900139000", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(teacher.pk)


def test_full_width_digits_and_a_lower_case_staff_number_are_understood(client, teacher, student):
    response = client.post(LOGIN, {"username": "t0001", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(teacher.pk)
    client.logout()
    response = client.post(LOGIN, {"username": "００１２３ ", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(student.pk)


def test_a_number_that_is_someones_mobile_number_still_reaches_its_owner_too(client, db):
    # A student number that happens to look like a parent's mobile number.
    student = make_user("13800138000", "李四", Role.STUDENT, password="student-pass-1")
    parent = make_user("P1", "李爸爸", Role.PARENT, phone="13800138000", password="parent-pass-1")
    client.post(LOGIN, {"username": "13800138000", "password": "student-pass-1"})
    assert logged_in_user_id(client) == str(student.pk)
    client.logout()
    client.post(LOGIN, {"username": "13800138000", "password": "parent-pass-1"})
    assert logged_in_user_id(client) == str(parent.pk)


def test_a_wrong_password_and_an_unknown_number_get_the_same_message(english, student):
    wrong_password = english.post(LOGIN, {"username": "00123", "password": "nope-nope"})
    unknown_number = english.post(LOGIN, {"username": "99999", "password": PASSWORD})
    for response in (wrong_password, unknown_number):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [WRONG]
        assert WRONG in response.content.decode()
    assert logged_in_user_id(english) is None


def test_the_form_keeps_the_number_that_was_typed(english, student):
    response = english.post(LOGIN, {"username": "00123", "password": "nope-nope"})
    assert 'value="00123"' in response.content.decode()


def test_an_inactive_account_cannot_log_in(english, student):
    student.is_active = False
    student.save(update_fields=["is_active"])
    response = english.post(LOGIN, {"username": "00123", "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [WRONG]
    assert logged_in_user_id(english) is None


def test_the_printed_initial_password_logs_in_and_leads_to_choosing_ones_own(
    client, student, on_initial_password
):
    password = on_initial_password(student)
    response = client.post(LOGIN, {"username": "00123", "password": password}, follow=True)
    assert response.redirect_chain == [
        ("/accounts/", 302),
        ("/accounts/password/first/?next=/accounts/", 302),
    ]
    assert logged_in_user_id(client) == str(student.pk)


def test_after_a_reset_the_old_password_no_longer_works(english, student, on_initial_password):
    on_initial_password(student)
    response = english.post(LOGIN, {"username": "00123", "password": PASSWORD})
    assert response.context["form"].non_field_errors() == [WRONG]


def test_five_failures_lock_the_login_even_for_the_right_password(english, student):
    for _ in range(4):
        response = english.post(LOGIN, {"username": "00123", "password": "nope-nope"})
        assert response.context["form"].non_field_errors() == [WRONG]
    fifth = english.post(LOGIN, {"username": "00123", "password": "nope-nope"})
    assert fifth.context["form"].non_field_errors() == [LOCKED]
    right = english.post(LOGIN, {"username": "00123", "password": PASSWORD})
    assert right.status_code == 200
    assert right.context["form"].non_field_errors() == [LOCKED]
    assert LOCKED in right.content.decode()
    assert logged_in_user_id(english) is None


def test_the_lock_holds_however_the_mobile_number_is_written(english, parent):
    for _ in range(5):
        english.post(LOGIN, {"username": "13800138000", "password": "nope-nope"})
    response = english.post(LOGIN, {"username": "+86 138 0013 8000", "password": PASSWORD})
    assert response.context["form"].non_field_errors() == [LOCKED]


def test_a_locked_login_does_not_lock_anyone_else(english, student, teacher):
    for _ in range(5):
        english.post(LOGIN, {"username": "00123", "password": "nope-nope"})
    response = english.post(LOGIN, {"username": "T0001", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(english) == str(teacher.pk)


def test_unknown_numbers_are_locked_too_so_the_lock_tells_nothing(english, db):
    for _ in range(5):
        english.post(LOGIN, {"username": "99999", "password": "nope-nope"})
    response = english.post(LOGIN, {"username": "99999", "password": "nope-nope"})
    assert response.context["form"].non_field_errors() == [LOCKED]


def test_a_successful_login_forgets_earlier_failures(english, student):
    for _ in range(4):
        english.post(LOGIN, {"username": "00123", "password": "nope-nope"})
    english.post(LOGIN, {"username": "00123", "password": PASSWORD})
    english.logout()
    english.cookies["django_language"] = "en"  # logout() drops every cookie
    for _ in range(4):
        response = english.post(LOGIN, {"username": "00123", "password": "nope-nope"})
        assert response.context["form"].non_field_errors() == [WRONG]


def seconds_left(key):
    """How long a cache key has to live, read from the cache backend itself."""
    backend = caches["default"]
    full_key = backend.make_and_validate_key(key)
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(full_key).ttl(full_key)
    return backend._expire_info[full_key] - time.time()


def test_the_lock_lasts_fifteen_minutes(student):
    for _ in range(5):
        login_failure_record(login="00123", address="127.0.0.1")
    failures_key, locked_key = _throttle_keys("00123", "127.0.0.1")
    assert cache.get(locked_key) == 1
    assert cache.get(failures_key) is None
    assert 895 <= seconds_left(locked_key) <= 900


def test_failures_are_counted_for_fifteen_minutes(student):
    login_failure_record(login="00123", address="127.0.0.1")
    failures_key, _locked_key = _throttle_keys("00123", "127.0.0.1")
    assert cache.get(failures_key) == 1
    assert 895 <= seconds_left(failures_key) <= 900


def test_a_logged_in_person_who_opens_the_login_page_goes_to_their_page(client, student):
    client.force_login(student)
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response.url == "/accounts/"


def test_failures_from_another_address_do_not_lock_the_owner_out(client, student):
    # A stranger who types a class's student numbers wrongly must not keep the
    # children out of their lesson.
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(6):
        stranger.post(LOGIN, {"username": "00123", "password": "wrong-guess-1"})
    locked = stranger.post(LOGIN, {"username": "00123", "password": PASSWORD})
    assert locked.context["form"].errors.as_data()["__all__"][0].code == "locked"

    response = client.post(LOGIN, {"username": "00123", "password": PASSWORD})

    assert response.status_code == 302


def test_one_address_trying_many_logins_is_stopped(client, student):
    for number in range(ADDRESS_FAILURE_LIMIT):
        login_failure_record(login=f"9{number:07d}", address="127.0.0.1")

    response = client.post(LOGIN, {"username": "00123", "password": PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["__all__"][0].code == "locked"
