"""Back after an import and 导入 again: the page says what happened, and nothing is imported twice."""

import pytest
from django.conf import settings
from django.urls import reverse

from eschool.accounts.models import Student
from eschool.core import timeutil
from eschool.org import services

from .test_views import UPLOAD, token_of, upload


@pytest.fixture(autouse=True)
def _english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def commit(client, token):
    return client.post(reverse("org:import_commit", args=[token]))


def test_importing_a_committed_upload_again_says_it_was_imported(
    client, district_admin, schools_loaded
):
    client.force_login(district_admin)
    token = token_of(upload(client, "students_gbk.csv"))
    with timeutil.frozen_at(timeutil.at_local(timeutil.today(), timeutil.parse_hhmm("09:30"))):
        assert commit(client, token).status_code == 302
    # Someone corrects the data by hand; importing the file again would undo it.
    Student.objects.filter(user__username="00123").delete()

    again = commit(client, token)

    assert again.status_code == 409
    html = again.content.decode()
    assert "<h1>This file has already been imported</h1>" in html
    assert (
        f'<p role="status">students_gbk.csv was imported at {timeutil.today():%Y-%m-%d} 09:30. '
        "It has not been imported a second time.</p>"
    ) in html
    assert f'<a class="button" href="{UPLOAD}">Go to the import page</a>' in html
    assert "Page not found" not in html
    assert Student.objects.count() == 4
    preview = client.get(reverse("org:import_preview", args=[token]))
    assert preview.status_code == 409
    assert "This file has already been imported" in preview.content.decode()


def test_an_expired_preview_says_so_and_imports_nothing(client, district_admin, schools_loaded):
    client.force_login(district_admin)
    token = token_of(upload(client, "students_gbk.csv"))
    assert services.import_upload_expire(older_than=-1) == 1

    response = commit(client, token)

    assert response.status_code == 410
    html = response.content.decode()
    assert "<h1>This preview has expired</h1>" in html
    assert "The upload of students_gbk.csv waited more than a day and was removed" in html
    assert f'href="{UPLOAD}"' in html
    assert Student.objects.count() == 0
    assert client.get(reverse("org:import_preview", args=[token])).status_code == 410


def test_someone_elses_upload_tells_nothing_about_it(
    client, district_admin, school_admin, schools_loaded
):
    client.force_login(district_admin)
    token = token_of(upload(client, "students_gbk.csv"))
    client.force_login(school_admin)

    response = commit(client, token)

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Nothing is waiting to be imported here</h1>" in html
    assert "students_gbk.csv" not in html
    assert f'href="{UPLOAD}"' in html
    assert Student.objects.count() == 0
