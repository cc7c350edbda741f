from django.conf import settings


def test_the_site_is_chinese_even_when_the_browser_asks_for_english(client, db):
    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"


def test_the_switch_remembers_english_and_returns_to_the_page(client, db):
    response = client.get("/language/en/", {"next": "/timetable/2026-12-07/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/timetable/2026-12-07/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get("/healthz").headers["Content-Language"] == "en"


def test_the_switch_does_not_redirect_to_another_site(client, db):
    response = client.get("/language/en/", {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_not_found(client, db):
    assert client.get("/language/fr/").status_code == 404
