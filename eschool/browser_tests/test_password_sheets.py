"""The initial-password sheets (a homeroom's, a school's teachers') on a phone and on paper,
and the first-login page refusing the printed password as the new one."""

import pytest
from playwright.sync_api import expect

from eschool.accounts.services import user_issue_initial_password

from .conftest import assert_fits_a_phone, in_chinese, log_in_by_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What an A4 portrait page holds inside the sheet's 10 mm side margins, in CSS px.
A4_PRINTABLE_WIDTH = round((210 - 2 * 10) / 25.4 * 96)


def assert_prints_on_a4_with_instructions(page, login_url):
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    expect(page.locator(".sheet-instructions")).to_be_visible()
    expect(page.locator(".sheet-login-url")).to_have_text(login_url)
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("a.no-print").first).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= A4_PRINTABLE_WIDTH, f"the printed sheet is {width} px wide"


def test_a_homeroom_sheet_fits_a_phone_and_prints_where_to_log_in_and_each_parent(
    phone_page, live_server, school_admin, student, parent
):
    student_password = user_issue_initial_password(user=student)
    parent_password = user_issue_initial_password(user=parent)
    page = phone_page
    log_in_by_cookie(page, live_server.url, school_admin)
    page.goto(live_server.url + f"/accounts/homerooms/{student.student.homeroom_id}/passwords/")
    login_url = live_server.url + "/accounts/login/"
    expect(page.locator(".sheet-login-url")).to_have_text(login_url)
    child_row = page.locator(".sheet tbody tr").first
    expect(child_row.locator("td")).to_have_text(["张三", "00123", f"{student_password} 重置"])
    parent_row = page.locator(".sheet tr.parent")
    expect(parent_row.locator("td").first).to_contain_text("张建国")
    expect(parent_row.locator(".whose")).to_contain_text("张三")
    expect(parent_row.locator("td.password")).to_contain_text(parent_password)
    assert_fits_a_phone(page)

    assert_prints_on_a4_with_instructions(page, login_url)
    # On paper the password stands alone (innerText leaves out what is not shown).
    assert parent_row.locator("td.password").inner_text().strip() == parent_password


def test_the_teachers_sheet_is_linked_from_the_school_page_fits_a_phone_and_prints(
    phone_page, live_server, school_admin, teacher
):
    printed = user_issue_initial_password(user=teacher)
    page = phone_page
    log_in_by_cookie(page, live_server.url, school_admin)
    page.goto(live_server.url + f"/accounts/schools/{school_admin.school_id}/")
    assert_fits_a_phone(page)
    page.locator(f'a[href$="/schools/{school_admin.school_id}/teachers/passwords/"]').click()
    expect(page.locator(".sheet tbody tr td")).to_have_text(["陈老师", "T0001", f"{printed} 重置"])
    assert_fits_a_phone(page)

    assert_prints_on_a4_with_instructions(page, live_server.url + "/accounts/login/")


def test_a_teacher_cannot_keep_the_printed_password_at_first_login(
    phone_page, live_server, teacher
):
    printed = user_issue_initial_password(user=teacher)
    page = phone_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill("t0001")
    page.get_by_label(in_chinese("Password")).fill(printed)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    expect(page).to_have_url(live_server.url + "/accounts/password/first/?next=/accounts/")

    page.locator("#id_new_password1").fill(printed)
    page.locator("#id_new_password2").fill(printed)
    page.get_by_role("button", name=in_chinese("Save my password")).click()

    expect(page.locator("#id_new_password1_error")).to_be_visible()
    expect(page.locator("#id_new_password1")).to_have_value("")
    assert_fits_a_phone(page)
    teacher.refresh_from_db()
    assert teacher.must_change_password is True

    page.locator("#id_new_password1").fill("blue-river-77")
    page.locator("#id_new_password2").fill("blue-river-77")
    page.get_by_role("button", name=in_chinese("Save my password")).click()
    expect(page).to_have_url(live_server.url + "/accounts/")
    teacher.refresh_from_db()
    assert teacher.must_change_password is False
