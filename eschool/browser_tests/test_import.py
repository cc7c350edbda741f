"""Administrators import students through the web page, on a phone.

students_gbk.csv holds students of two schools (320106001 and 320106002). The
district administrator imports all of it. A school administrator may import
only their own school's people: given the whole file they are told, row by row,
which rows belong to the other school and nothing is imported; given a file of
their own school's rows they preview, commit and find their students.
"""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from eschool.accounts.models import Role, Student, User
from eschool.core.testing import PASSWORD, make_user
from eschool.org.importing import import_file
from eschool.org.models import School
from eschool.org.tests.conftest import case_path

from .conftest import assert_fits_a_phone, in_chinese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# ../shared/cases beside the clone (as CI lays it), else the project's copy.
CASES = case_path("schools_gbk.csv").parent


@pytest.fixture
def schools(db):
    result = import_file(CASES / "schools_gbk.csv", filename="schools_gbk.csv")
    assert result.ok, result.errors
    return {school.code: school for school in School.objects.all()}


@pytest.fixture
def school_admin_page(phone_page, live_server, schools):
    """A phone logged in as SA001, the administrator of 320106001."""
    make_user("SA001", "学校管理员", Role.SCHOOL_ADMIN, school=schools["320106001"])
    log_in(phone_page, live_server, "SA001")
    return phone_page


def assert_nothing_imported(page, users_before):
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("button", name=in_chinese("Import"), exact=True)).to_have_count(0)
    assert_fits_a_phone(page)
    assert Student.objects.count() == 0
    assert User.objects.count() == users_before


def log_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    assert_fits_a_phone(page)
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill(username)
    page.get_by_label(in_chinese("Password")).fill(PASSWORD)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    expect(page.get_by_role("button", name=in_chinese("Log out"))).to_be_visible()


def upload(page, live_server, path):
    page.goto(live_server.url + "/manage/import/")
    assert_fits_a_phone(page)
    page.get_by_label(in_chinese("Spreadsheet file (.xlsx or .csv)")).set_input_files(str(path))
    page.get_by_role("button", name=in_chinese("Upload and check")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(in_chinese("Check the import"))


def counts_of(page, records):
    """The preview's new / changed / unchanged cells for one kind of record."""
    row = page.locator(".counts-table tbody tr").filter(
        has=page.get_by_role("rowheader", name=in_chinese(records), exact=True)
    )
    return row.locator("td")


def test_an_administrator_uploads_students_previews_and_commits(
    phone_page, live_server, media_root, schools, district_admin
):
    page = phone_page
    log_in(page, live_server, "admin")

    upload(page, live_server, CASES / "students_gbk.csv")

    # The preview: five new students (and their parents), nothing saved yet.
    expect(counts_of(page, "Students")).to_have_text(["5", "0", "0"])
    expect(counts_of(page, "Parents")).to_have_text(["5", "0", "0"])
    assert_fits_a_phone(page)
    assert Student.objects.count() == 0

    page.get_by_role("button", name=in_chinese("Import"), exact=True).click()

    expect(page.locator(".messages")).to_contain_text("students_gbk.csv")
    assert sorted(Student.objects.values_list("user__username", "user__name")) == [
        ("00123", "张三"),
        ("00124", "李小红"),
        ("00125", "阿依古丽·买买提"),
        ("01126", "王五"),
        ("01127", "赵六"),
    ]
    # …and finds them on the schools' people pages.
    page.goto(live_server.url + f"/accounts/schools/{schools['320106001'].pk}/people/")
    table = page.locator("table")
    for name in ["张三", "李小红", "阿依古丽·买买提"]:
        expect(table.get_by_role("cell", name=name, exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="00123", exact=True)).to_be_visible()
    assert_fits_a_phone(page)
    page.goto(live_server.url + f"/accounts/schools/{schools['320106002'].pk}/people/")
    for name in ["王五", "赵六"]:
        expect(page.locator("table").get_by_role("cell", name=name, exact=True)).to_be_visible()


def test_a_file_with_a_missing_name_shows_the_row_report_and_imports_nothing(
    school_admin_page, live_server, media_root
):
    # A school administrator of 320106001 uploads the file of their students.
    page = school_admin_page
    users_before = User.objects.count()

    upload(page, live_server, CASES / "students_missing_name.csv")

    report = page.locator("table.report")
    row_4 = (
        report.locator("tbody tr")
        .filter(has=page.get_by_role("cell", name="4", exact=True))
        .filter(has=page.get_by_role("cell", name="姓名", exact=True))
    )
    expect(row_4).to_have_count(1)
    assert_nothing_imported(page, users_before)


def test_a_school_administrator_given_the_two_school_file_is_told_which_rows_are_not_theirs(
    school_admin_page, live_server, media_root
):
    page = school_admin_page
    users_before = User.objects.count()

    upload(page, live_server, CASES / "students_gbk.csv")

    # Rows 5 and 6 (王五, 赵六) are of 320106002: each is reported, naming both schools.
    rows = page.locator("table.report tbody tr")
    expect(rows).to_have_count(2)
    for index, row_number in enumerate(["5", "6"]):
        expect(rows.nth(index).locator("td")).to_have_text(
            [row_number, "学校代码", "320106002", re.compile("南京市鼓楼区实验初级中学")]
        )
        expect(rows.nth(index).locator("td.problem")).to_contain_text("南京市鼓楼区示范初级中学")
    # All or nothing: not even the three students of their own school.
    assert_nothing_imported(page, users_before)


def own_school_rows(tmp_path, code):
    """The case file cut down to one school's rows, saved as the case is (GBK, CRLF)."""
    text = (CASES / "students_gbk.csv").read_bytes().decode("gb18030")
    header, *rows = list(csv.reader(io.StringIO(text)))
    kept = [row for row in rows if row[header.index("学校代码")] == code]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *kept])
    path = tmp_path / "本校学生.csv"
    path.write_bytes(buffer.getvalue().encode("gbk"))
    return path


def test_a_school_administrator_imports_a_file_of_their_own_school(
    school_admin_page, live_server, media_root, schools, tmp_path
):
    page = school_admin_page
    school = schools["320106001"]

    upload(page, live_server, own_school_rows(tmp_path, "320106001"))

    expect(counts_of(page, "Students")).to_have_text(["3", "0", "0"])
    expect(counts_of(page, "Parents")).to_have_text(["3", "0", "0"])
    assert_fits_a_phone(page)
    assert Student.objects.count() == 0

    page.get_by_role("button", name=in_chinese("Import"), exact=True).click()

    expect(page.locator(".messages")).to_contain_text("本校学生.csv")
    assert sorted(Student.objects.values_list("user__username", "user__name", "school")) == [
        ("00123", "张三", school.pk),
        ("00124", "李小红", school.pk),
        ("00125", "阿依古丽·买买提", school.pk),
    ]
    page.goto(live_server.url + f"/accounts/schools/{school.pk}/people/")
    table = page.locator("table")
    for name in ["张三", "李小红", "阿依古丽·买买提"]:
        expect(table.get_by_role("cell", name=name, exact=True)).to_be_visible()
    assert_fits_a_phone(page)
