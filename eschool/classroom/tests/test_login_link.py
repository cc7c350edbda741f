"""The header's 登录 link returns to the page it was used on."""

import re

import pytest
from django.test import RequestFactory

from eschool.core.links import login_url_back_to
from eschool.core.testing import PASSWORD

pytestmark = pytest.mark.django_db


def header_login_href(client, path: str) -> str:
    html = client.get(path).content.decode()
    header = html.split('<header class="site-header">')[1].split("</header>")[0]
    return re.search(r'<a href="([^"]*)">Log in</a>', header).group(1)


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_the_header_link_carries_the_session_page_and_logging_in_returns_there(
    english, clock, make_session, student
):
    session = make_session(start="14:00", end="14:40")

    href = header_login_href(english, f"/sessions/{session.pk}/")
    response = english.post(href, {"username": student.username, "password": PASSWORD})

    assert href == f"/accounts/login/?next=%2Fsessions%2F{session.pk}%2F"
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"


def test_the_query_of_the_page_comes_back_too(english, clock):
    assert header_login_href(english, "/parenting/?page=2") == (
        "/accounts/login/?next=%2Fparenting%2F%3Fpage%3D2"
    )


def test_on_the_login_page_the_link_is_plain(english, clock):
    assert header_login_href(english, "/accounts/login/?next=/parenting/") == "/accounts/login/"


def test_a_path_that_is_not_local_is_not_carried():
    request = RequestFactory().get("/")
    request.path = "//other.example/sessions/1/"

    assert login_url_back_to(request) == "/accounts/login/"
