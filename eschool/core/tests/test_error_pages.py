from django.test import Client


def test_a_missing_page_is_explained_in_chinese(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert 'lang="zh-CN"' in html


def test_a_missing_page_is_explained_in_english_after_the_switch(client, db):
    client.cookies["django_language"] = "en"

    assert "Page not found" in client.get("/no-such-page/").content.decode()


def test_a_forbidden_page_is_explained_in_chinese(client, teacher):
    client.force_login(teacher)

    response = client.get("/manage/sessions/new/")

    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_a_server_error_shows_a_chinese_page(db, settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("a bug")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("boom/", broken)]})
    response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert "出错了" in response.content.decode()
