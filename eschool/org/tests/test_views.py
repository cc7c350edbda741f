"""The import pages (upload → preview → commit), templates and exports, per persona."""

import datetime as dt
import io
import re
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from eschool.accounts.models import Guardianship, Role, Student, User
from eschool.core import timeutil
from eschool.org.importing import import_file

from .conftest import STUDENT_HEADER, case_path, csv_bytes

UPLOAD = reverse("org:import_upload")


@pytest.fixture(autouse=True)
def _english_pages(client):
    # Pages default to Chinese; these tests read English unless they say otherwise.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(client, name_or_bytes, filename=None):
    if isinstance(name_or_bytes, bytes):
        data, filename = name_or_bytes, filename
    else:
        data, filename = case_path(name_or_bytes).read_bytes(), name_or_bytes
    handle = io.BytesIO(data)
    handle.name = filename
    return client.post(UPLOAD, {"file": handle})


def token_of(response):
    match = re.fullmatch(r"/manage/import/([\w-]+)/", response["Location"])
    assert match, response["Location"]
    return match[1]


def report_rows(html):
    body = html.split('<table class="report">')[1].split("</table>")[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)
    ]


# Access ------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(UPLOAD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", ["teacher", "student", "parent", "outside_learner"])
def test_other_roles_are_refused(client, personas, persona):
    client.force_login(personas[persona])

    assert client.get(UPLOAD).status_code == 403
    assert upload(client, "students_gbk.csv").status_code == 403
    assert client.get(reverse("org:export", args=["students", "csv"])).status_code == 403
    assert client.get(reverse("org:template_download", args=["students"])).status_code == 403


def test_the_upload_form_is_labelled_and_shows_progress(client, district_admin):
    client.force_login(district_admin)

    html = client.get(UPLOAD).content.decode()

    assert '<label for="id_file">' in html
    assert 'accept=".xlsx,.csv"' in html
    assert '<progress id="upload-bar" max="100" value="0">' in html
    assert 'enctype="multipart/form-data"' in html
    assert reverse("org:template_download", args=["timetable"]) in html


def test_a_school_admin_is_offered_only_teachers_and_students(client, school_admin):
    client.force_login(school_admin)

    html = client.get(UPLOAD).content.decode()

    assert reverse("org:template_download", args=["students"]) in html
    assert reverse("org:template_download", args=["schools"]) not in html
    assert reverse("org:template_download", args=["timetable"]) not in html


def test_a_wrong_file_type_is_an_error_next_to_the_field(client, district_admin):
    client.force_login(district_admin)

    response = upload(client, b"%PDF", "list.pdf")

    assert response.status_code == 200
    assert "Only .xlsx and .csv files can be imported." in response.content.decode()


# Upload → preview → commit ---------------------------------------------------------------
def test_upload_preview_commit(client, district_admin, schools_loaded):
    client.force_login(district_admin)

    response = upload(client, "students_gbk.csv")
    assert response.status_code == 302
    token = token_of(response)
    stored = list((settings.ESCHOOL_PRIVATE_ROOT / "imports" / token).iterdir())
    assert [p.name for p in stored] == ["upload.csv"]

    preview = client.get(reverse("org:import_preview", args=[token]))
    assert preview.status_code == 200
    counts = preview.context["count_rows"]
    assert [(str(name), new, changed, same) for name, new, changed, same in counts] == [
        ("Students", 5, 0, 0),
        ("Parents", 5, 0, 0),
        ("Parent–child links", 5, 0, 0),
        ("Classes", 3, 0, 0),
    ]
    assert Student.objects.count() == 0

    committed = client.post(reverse("org:import_commit", args=[token]), follow=True)
    assert committed.redirect_chain == [(UPLOAD, 302)]
    message = [str(m) for m in committed.context["messages"]]
    assert message == [
        "Imported students_gbk.csv. Students: 5 new, 0 changed, 0 unchanged; "
        "Parents: 5 new, 0 changed, 0 unchanged; Parent–child links: 5 new, 0 changed, 0 unchanged; "
        "Classes: 3 new, 0 changed, 0 unchanged"
    ]
    assert Student.objects.count() == 5
    assert Guardianship.objects.count() == 5
    assert not (settings.ESCHOOL_PRIVATE_ROOT / "imports" / token).exists()
    # The token is spent: its preview now says the file was imported (test_import_again.py).
    assert client.get(reverse("org:import_preview", args=[token])).status_code == 409


def _reimport_preview(client):
    client.post(reverse("org:import_commit", args=[token_of(upload(client, "students_gbk.csv"))]))
    preview = client.get(
        reverse("org:import_preview", args=[token_of(upload(client, "students_gbk.csv"))])
    )
    assert preview.status_code == 200
    return preview


def test_a_file_that_changes_nothing_offers_no_import_button(
    client, district_admin, schools_loaded
):
    client.force_login(district_admin)

    preview = _reimport_preview(client)

    counts = preview.context["count_rows"]
    assert [(str(name), new, changed, same) for name, new, changed, same in counts] == [
        ("Students", 0, 0, 5),
        ("Parents", 0, 0, 5),
        ("Parent–child links", 0, 0, 5),
        ("Classes", 0, 0, 3),
    ]
    html = preview.content.decode()
    assert (
        '<p role="status">This file matches what is already saved: importing it would change '
        "nothing.</p>"
    ) in html
    assert f'<a class="button" href="{UPLOAD}">Import another file</a>' in html
    assert "/commit/" not in html and '<button type="submit">' not in html


def test_a_file_that_changes_nothing_says_so_in_chinese(client, district_admin, schools_loaded):
    client.force_login(district_admin)
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]

    html = _reimport_preview(client).content.decode()

    assert '<p role="status">此文件与已保存的内容一致，导入不会带来任何变更。</p>' in html
    assert f'<a class="button" href="{UPLOAD}">导入其他文件</a>' in html
    assert "导入</button>" not in html


def test_someone_elses_token_is_404(client, district_admin, school_admin, schools_loaded):
    client.force_login(district_admin)
    token = token_of(upload(client, "students_gbk.csv"))

    client.force_login(school_admin)

    assert client.get(reverse("org:import_preview", args=[token])).status_code == 404
    assert client.post(reverse("org:import_commit", args=[token])).status_code == 404
    assert Student.objects.count() == 0


def _missing_name_report(client, cookie=None):
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    else:
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    token = token_of(upload(client, "students_missing_name.csv"))
    response = client.get(reverse("org:import_preview", args=[token]))
    assert response.status_code == 200
    return response


def test_the_error_report_names_row_4_and_column_in_the_default_language(
    client, district_admin, schools_loaded
):
    client.force_login(district_admin)

    response = _missing_name_report(client)

    assert response["Content-Language"] == "zh-hans"
    assert report_rows(response.content.decode()) == [["4", "姓名", "", "姓名不能为空。"]]
    html = response.content.decode()
    for header in ("行号", "列", "值", "问题"):
        assert f'<th scope="col">{header}</th>' in html
    assert "org:import_commit" not in html and "/commit/" not in html
    assert Student.objects.count() == 0


def test_the_error_report_is_english_with_the_language_cookie(
    client, district_admin, schools_loaded
):
    client.force_login(district_admin)

    response = _missing_name_report(client, cookie="en")

    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert report_rows(html) == [["4", "姓名", "", "The name is missing."]]
    assert '<th scope="col">Row</th><th scope="col">Column</th>' in re.sub(r">\s+<", "><", html)
    # A failed commit writes nothing either.
    token = response.context["token"]
    assert client.post(reverse("org:import_commit", args=[token])).status_code == 400
    assert User.objects.filter(role=Role.STUDENT).count() == 0


def test_a_school_admin_uploading_another_schools_rows_gets_the_report(
    client, school_admin, school_b
):
    client.force_login(school_admin)
    data = csv_bytes(
        [STUDENT_HEADER, ["01126", "王五", "男", "", "320106002", "八年级", "1", "", ""]]
    )

    token = token_of(upload(client, data, "s.csv"))
    response = client.get(reverse("org:import_preview", args=[token]))

    assert report_rows(response.content.decode()) == [
        [
            "2",
            "学校代码",
            "320106002",
            "This row is for 南京市鼓楼区实验初级中学; you may import only the people of your own "
            "school (南京市鼓楼区示范初级中学). Remove the row, or ask the district administrator "
            "to import the file.",
        ]
    ]


def test_a_school_admin_uploading_a_list_of_schools_is_refused_without_a_report_to_correct(
    client, school_admin
):
    client.force_login(school_admin)

    token = token_of(upload(client, case_path("schools_gbk.csv").read_bytes(), "schools.csv"))
    html = client.get(reverse("org:import_preview", args=[token])).content.decode()

    assert (
        "Nothing was imported: This file is a list of schools, which you may not import here."
    ) in html
    assert "Ask the district administrator to import this file." in html
    # Correcting the file would not help: no row report, no "upload a corrected file".
    assert '<table class="report">' not in html
    assert "Upload a corrected file" not in html
    assert 'href="/manage/import/">Import another file</a>' in html


# Templates and exports --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "first_headers"),
    [
        ("schools", ["学校代码", "学校名称"]),
        ("teachers", ["工号", "姓名"]),
        ("students", ["学号", "姓名"]),
        ("timetable", ["日期", "开始时间"]),
    ],
)
def test_templates_have_headers_and_an_example_row(client, district_admin, kind, first_headers):
    client.force_login(district_admin)

    response = client.get(reverse("org:template_download", args=[kind]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{kind}-template.xlsx"; '
    )
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 2
    assert list(rows[0][:2]) == first_headers


def test_the_students_template_imports_as_it_is(client, district_admin, school_a):
    client.force_login(district_admin)
    data = client.get(reverse("org:template_download", args=["students"])).content

    result = import_file(data, filename="t.xlsx", commit=False)

    assert result.ok, result.errors
    assert result.counts["students"]["new"] == 1


def test_content_disposition_carries_the_chinese_name_and_the_day(
    client, district_admin, monkeypatch
):
    monkeypatch.setattr(timeutil, "today", lambda at=None: dt.date(2026, 12, 7))
    client.force_login(district_admin)

    response = client.get(reverse("org:export", args=["students", "csv"]))

    assert response["Content-Disposition"] == (
        "attachment; filename=\"students-2026-12-07.csv\"; filename*=UTF-8''"
        "%E5%AD%A6%E7%94%9F%E5%90%8D%E5%8D%95-2026-12-07.csv"
    )
    assert unquote(response["Content-Disposition"].split("''")[1]) == "学生名单-2026-12-07.csv"


def test_a_school_admins_export_is_named_after_their_school(client, school_admin, monkeypatch):
    monkeypatch.setattr(timeutil, "today", lambda at=None: dt.date(2026, 12, 7))
    client.force_login(school_admin)

    response = client.get(reverse("org:export", args=["teachers", "xlsx"]))

    school = school_admin.school
    assert f'filename="teachers-{school.code}-2026-12-07.xlsx"' in response["Content-Disposition"]
    assert unquote(response["Content-Disposition"].split("''")[1]) == (
        f"教师名单-{school.name}-2026-12-07.xlsx"
    )


def test_students_csv_export_has_bom_crlf_and_parents(client, district_admin, schools_loaded):
    import_file(case_path("students_gbk.csv"))
    client.force_login(district_admin)

    content = client.get(reverse("org:export", args=["students", "csv"])).content

    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ",".join(STUDENT_HEADER)
    assert lines[1] == "00123,张三,男,2012-09-01,320106001,七年级,3,张建国,13800138000"
    assert lines[6] == ""
    assert len(lines) == 7


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_students_reimport_with_every_row_unchanged(
    client, district_admin, schools_loaded, fmt
):
    import_file(case_path("students_gbk.csv"))
    client.force_login(district_admin)
    exported = client.get(reverse("org:export", args=["students", fmt])).content

    result = import_file(exported, filename=f"students.{fmt}")

    assert result.ok, result.errors
    assert result.counts["students"] == {"new": 0, "changed": 0, "unchanged": 5}
    assert result.counts["parents"] == {"new": 0, "changed": 0, "unchanged": 5}
    assert result.counts["guardianships"] == {"new": 0, "changed": 0, "unchanged": 5}


@pytest.mark.parametrize("kind", ["schools", "teachers"])
def test_exported_schools_and_teachers_reimport_unchanged(
    client, district_admin, teachers_loaded, kind
):
    client.force_login(district_admin)
    exported = client.get(reverse("org:export", args=[kind, "xlsx"])).content

    result = import_file(exported, filename=f"{kind}.xlsx")

    assert result.ok, result.errors
    assert result.counts[kind] == {
        "new": 0,
        "changed": 0,
        "unchanged": 3 if kind == "teachers" else 5,
    }


def test_a_school_admin_exports_only_their_school(client, school_admin, student, stranger):
    client.force_login(school_admin)

    lines = (
        client.get(reverse("org:export", args=["students", "csv"]))
        .content.decode("utf-8-sig")
        .split("\r\n")
    )

    assert [line.split(",")[0] for line in lines[1:-1]] == ["00123"]


def test_the_export_query_count_does_not_grow_with_rows(
    client, district_admin, schools_loaded, django_assert_num_queries
):
    import_file(case_path("students_gbk.csv"))
    client.force_login(district_admin)
    url = reverse("org:export", args=["students", "csv"])
    client.get(url)

    # session, user, guardians, students
    with django_assert_num_queries(4):
        client.get(url)


def test_the_exports_page_lists_the_downloads(client, school_admin, teacher):
    client.force_login(school_admin)

    html = client.get(reverse("org:exports")).content.decode()

    assert reverse("org:export", args=["students", "xlsx"]) in html
    assert reverse("org:export", args=["teachers", "csv"]) in html
    client.force_login(teacher)
    assert client.get(reverse("org:exports")).status_code == 403


def test_an_uploaded_spreadsheet_cannot_be_downloaded_by_its_token(
    client, district_admin, schools_loaded, settings
):
    # The preview waits on a list of children's names and parents' phones: it must
    # not be public media, even for someone who learns the token.
    client.force_login(district_admin)
    token = token_of(upload(client, "students_gbk.csv"))
    client.logout()

    response = client.get(f"{settings.MEDIA_URL}imports/{token}/upload.csv")

    assert response.status_code == 404
    assert (settings.ESCHOOL_PRIVATE_ROOT / "imports" / token / "upload.csv").exists()


def test_the_commit_message_reads_as_chinese_by_default(client, district_admin, schools_loaded):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(district_admin)
    token = token_of(upload(client, "students_gbk.csv"))

    committed = client.post(reverse("org:import_commit", args=[token]), follow=True)

    assert [str(m) for m in committed.context["messages"]] == [
        "已导入 students_gbk.csv。学生：新增 5，变更 0，不变 0；家长：新增 5，变更 0，不变 0；"
        "亲子关系：新增 5，变更 0，不变 0；班级：新增 3，变更 0，不变 0"
    ]
