"""An administrator imports students through the web page, on a phone.

students_gbk.csv holds students of two schools (320106001 and 320106002), and a
school administrator may import only their own school's people, so the full
file is imported by the district administrator; the school administrator's
page is checked for its layout.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from eschool.accounts.models import Role, Student, User
from eschool.core.testing import PASSWORD, make_user
from eschool.org.importing import import_file
from eschool.org.models import School

from .conftest import assert_no_horizontal_scroll, in_chinese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CASES = Path("/work/shared/cases")
if not CASES.is_dir():
    CASES = Path(__file__).resolve().parents[2] / "eschool" / "org" / "tests" / "cases"


@pytest.fixture
def schools(db):
    result = import_file(CASES / "schools_gbk.csv", filename="schools_gbk.csv")
    assert result.ok, result.errors
    return {school.code: school for school in School.objects.all()}


def log_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    assert_no_horizontal_scroll(page)
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill(username)
    page.get_by_label(in_chinese("Password")).fill(PASSWORD)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    expect(page.get_by_role("button", name=in_chinese("Log out"))).to_be_visible()


def upload(page, live_server, path):
    page.goto(live_server.url + "/manage/import/")
    assert_no_horizontal_scroll(page)
    page.get_by_label(in_chinese("Spreadsheet file (.xlsx or .csv)")).set_input_files(str(path))
    page.get_by_role("button", name=in_chinese("Upload and check")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(in_chinese("Check the import"))


def test_an_administrator_uploads_students_previews_and_commits(
    phone_page, live_server, media_root, schools, district_admin
):
    page = phone_page
    log_in(page, live_server, "admin")

    upload(page, live_server, CASES / "students_gbk.csv")

    # The preview: five new students (and their parents), nothing saved yet.
    students_row = page.locator(".counts-table tbody tr").filter(
        has=page.get_by_role("rowheader", name=in_chinese("Students"), exact=True)
    )
    expect(students_row.locator("td")).to_have_text(["5", "0", "0"])
    parents_row = page.locator(".counts-table tbody tr").filter(
        has=page.get_by_role("rowheader", name=in_chinese("Parents"), exact=True)
    )
    expect(parents_row.locator("td")).to_have_text(["5", "0", "0"])
    assert_no_horizontal_scroll(page)
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
    assert_no_horizontal_scroll(page)
    page.goto(live_server.url + f"/accounts/schools/{schools['320106002'].pk}/people/")
    for name in ["王五", "赵六"]:
        expect(page.locator("table").get_by_role("cell", name=name, exact=True)).to_be_visible()


def test_a_file_with_a_missing_name_shows_the_row_report_and_imports_nothing(
    phone_page, live_server, media_root, schools
):
    page = phone_page
    # A school administrator of 320106001 uploads the file of their students.
    make_user("SA001", "学校管理员", Role.SCHOOL_ADMIN, school=schools["320106001"])
    users_before = User.objects.count()
    log_in(page, live_server, "SA001")

    upload(page, live_server, CASES / "students_missing_name.csv")

    report = page.locator("table.report")
    row_4 = (
        report.locator("tbody tr")
        .filter(has=page.get_by_role("cell", name="4", exact=True))
        .filter(has=page.get_by_role("cell", name="姓名", exact=True))
    )
    expect(row_4).to_have_count(1)
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("button", name=in_chinese("Import"), exact=True)).to_have_count(0)
    assert_no_horizontal_scroll(page)
    assert Student.objects.count() == 0
    assert User.objects.count() == users_before
