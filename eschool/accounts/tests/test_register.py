"""Outside learners register themselves with a mobile number."""

import pytest

from eschool.accounts.models import OutsideLearner, Role, User
from eschool.org.models import Grade, Region

REGISTER = "/accounts/register/"


@pytest.fixture
def form(partner_region, grade7):
    return {
        "phone": "+86 137-0000-0002",
        "name": "黄 小明",
        "region": partner_region.pk,
        "school_name": "黄石市第二中学",
        "grade": grade7.pk,
        "password1": "sunny-day-2024",
        "password2": "sunny-day-2024",
    }


def test_the_page_offers_partner_regions_and_the_public_but_not_the_home_district(
    english, partner_region
):
    response = english.get(REGISTER)
    assert response.status_code == 200
    kinds = {region.kind for region in response.context["form"].fields["region"].queryset}
    assert kinds == {Region.Kind.PARTNER, Region.Kind.PUBLIC}
    html = response.content.decode()
    assert '<label for="id_phone">Mobile number:</label>' in html
    assert 'type="tel"' in html


def test_a_learner_registers_and_is_logged_in(client, form, partner_region, grade7):
    response = client.post(REGISTER, form)
    assert response.status_code == 302
    assert response.url == "/accounts/"
    user = User.objects.get(username="13700000002")
    assert (user.phone, user.name, user.role) == ("13700000002", "黄小明", Role.OUTSIDE_LEARNER)
    assert user.check_password("sunny-day-2024")
    assert user.must_change_password is False
    learner = OutsideLearner.objects.get(user=user)
    assert (learner.region, learner.school_name, learner.grade) == (
        partner_region,
        "黄石市第二中学",
        grade7,
    )
    assert client.session.get("_auth_user_id") == str(user.pk)
    # ...and can log in with the number afterwards.
    client.logout()
    client.post("/accounts/login/", {"username": "13700000002", "password": "sunny-day-2024"})
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_a_number_already_in_use_is_refused_and_the_form_keeps_what_was_typed(
    english, form, parent
):
    form["phone"] = "13800138000"
    count = User.objects.count()
    response = english.post(REGISTER, form)
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "This mobile number already has an account. Log in with it, "
        "or ask your school to reset its password."
    ]
    assert User.objects.count() == count
    html = response.content.decode()
    assert 'value="13800138000"' in html
    assert 'value="黄 小明"' in html
    assert 'value="黄石市第二中学"' in html
    assert english.session.get("_auth_user_id") is None


# 1.38001E+10 is how a spreadsheet shows a number; typed here it only breaks the rule:
# the message is the rule, never the spreadsheet's advice to format a column as text.
@pytest.mark.parametrize("typed", ["1380013800", "1.38001E+10", "13800138000.5", "2380013800a"])
def test_a_number_that_is_not_a_mobile_number_is_refused(english, form, typed):
    form["phone"] = typed
    response = english.post(REGISTER, form)
    assert response.context["form"].errors["phone"] == [
        "A mobile number has 11 digits and starts with 1."
    ]
    assert "spreadsheet" not in response.content.decode()
    assert OutsideLearner.objects.count() == 0


def test_two_different_passwords_are_refused(english, form):
    form["password2"] = "sunny-day-2025"
    response = english.post(REGISTER, form)
    assert response.context["form"].errors["password2"] == ["The two passwords are not the same."]
    assert User.objects.filter(username="13700000002").exists() is False


def test_a_weak_password_is_refused(english, form):
    form["password1"] = form["password2"] = "12345678"
    response = english.post(REGISTER, form)
    errors = response.context["form"].errors["password1"]
    assert "This password is entirely numeric." in errors
    assert User.objects.filter(username="13700000002").exists() is False


def test_the_home_district_cannot_be_chosen(english, form, home_region):
    form["region"] = home_region.pk
    response = english.post(REGISTER, form)
    assert "region" in response.context["form"].errors
    assert User.objects.filter(username="13700000002").exists() is False


def test_the_grade_may_be_left_empty(client, form):
    form["grade"] = ""
    assert client.post(REGISTER, form).status_code == 302
    assert OutsideLearner.objects.get(user__username="13700000002").grade is None
    assert Grade.objects.count() == 15


def test_someone_logged_in_is_sent_to_their_page(client, student):
    client.force_login(student)
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert response.url == "/accounts/"


def test_a_learner_who_came_from_a_session_goes_back_to_it(client, form):
    page = client.get(REGISTER, {"next": "/sessions/7/"}).content.decode()
    assert 'action="/accounts/register/?next=/sessions/7/"' in page

    response = client.post(f"{REGISTER}?next=/sessions/7/", form)

    assert response.status_code == 302
    assert response.headers["Location"] == "/sessions/7/"


def test_registration_never_sends_a_learner_to_another_site(client, form):
    response = client.post(f"{REGISTER}?next=https://evil.example/", form)

    assert response.headers["Location"] == "/accounts/"
