"""The district administrator sets the days of evening tutoring on a phone, by keyboard:
one box per weekday, each named by its label."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from eschool.tutoring.selectors import tutoring_settings

from .conftest import assert_fits_a_phone, in_chinese, log_in_by_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def day_name(english: str) -> str:
    # The same catalogue as the page's, so the label is found before and after translation.
    with translation.override("zh-hans"):
        return translation.pgettext("day of service", english)


def test_the_service_days_are_ticked_by_keyboard_on_a_phone(
    phone_page, live_server, district_admin
):
    page = phone_page
    log_in_by_cookie(page, live_server.url, district_admin)
    page.goto(live_server.url + "/tutoring/settings/")
    saturday = page.get_by_role("checkbox", name=day_name("Saturday"), exact=True)
    sunday = page.get_by_role("checkbox", name=day_name("Sunday"), exact=True)
    expect(saturday).to_be_checked()
    expect(sunday).not_to_be_checked()
    assert_fits_a_phone(page)

    saturday.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(sunday).to_be_focused()
    page.keyboard.press("Space")
    page.get_by_role("button", name=in_chinese("Save")).click()

    expect(page.get_by_text(in_chinese("The tutoring settings are saved."))).to_be_visible()
    assert tutoring_settings().weekdays == "1,2,3,4,5,7"
    expect(page.get_by_role("checkbox", name=day_name("Sunday"), exact=True)).to_be_checked()
    assert_fits_a_phone(page)
