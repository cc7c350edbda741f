"""The district's sensitive-word page."""

import pytest
from django.urls import reverse

from eschool.core.testing import NOT_DISTRICT_ADMINS
from eschool.safety.models import SensitiveWord


def test_the_administrator_adds_imports_and_removes_words(client, district_admin):
    client.force_login(district_admin)
    page = client.get(reverse("safety:words"))
    assert page.status_code == 200
    assert 'for="id_words"' in page.content.decode()
    response = client.post(reverse("safety:word_add"), {"word": "坏蛋"})
    assert response.status_code == 302
    response = client.post(reverse("safety:words_import"), {"words": "笨蛋\n坏蛋\n"})
    assert response.status_code == 302
    assert sorted(SensitiveWord.objects.values_list("word", flat=True)) == ["坏蛋", "笨蛋"]
    page = client.get(reverse("safety:words"), follow=True)
    assert "笨蛋" in page.content.decode()
    word = SensitiveWord.objects.get(word="笨蛋")
    client.post(reverse("safety:word_remove", args=[word.pk]))
    assert list(SensitiveWord.objects.values_list("word", flat=True)) == ["坏蛋"]


def test_a_refused_import_keeps_the_pasted_text_and_lists_problems(client, district_admin):
    client.force_login(district_admin)
    response = client.post(reverse("safety:words_import"), {"words": "笨蛋\n！！"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "笨蛋\n！！</textarea>" in body
    assert "第 2 行" in body or "Line 2" in body
    assert SensitiveWord.objects.count() == 0


@pytest.mark.parametrize("persona", NOT_DISTRICT_ADMINS)
def test_others_get_403(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("safety:words")).status_code == 403
    assert client.post(reverse("safety:word_add"), {"word": "坏蛋"}).status_code == 403
    assert SensitiveWord.objects.count() == 0


def test_the_django_admin_goes_through_the_services(client, district_admin):
    from eschool.safety import services

    client.force_login(district_admin)
    response = client.post(reverse("admin:safety_sensitiveword_add"), {"word": "ＢＡＤ"})
    assert response.status_code == 302
    assert list(SensitiveWord.objects.values_list("word", flat=True)) == ["bad"]
    assert services.filter_text("bad")[0] == "＊＊＊"
