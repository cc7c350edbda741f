"""The ASGI test server serves pages and static files like the real one."""

import pytest

# serialized_rollback like every other browser test: a plain transactional test's flush
# recreates the content types, and the next test's restore of the snapshot then collides.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_asgi_server_serves_the_home_page_and_static_files(asgi_server, chromium):
    context = chromium.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    response = page.goto(asgi_server + "/")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    script = page.request.get(asgi_server + "/static/js/replay.js")
    assert script.status == 200 and "Hls" in script.text()
    context.close()
