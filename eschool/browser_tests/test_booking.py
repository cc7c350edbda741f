"""Booking on a phone: book, 我的课表, cancel; the waitlist and its promotion; a parent's view.

李四 takes the session's only seat, 张三 joins the waitlist, 李四 cancels and
张三 gets the seat with a notification; 张三's parent sees the booking.
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

from eschool.accounts.models import Role, Student
from eschool.classroom.models import Booking, Session
from eschool.core import timeutil
from eschool.core.testing import PASSWORD, make_user
from eschool.org.models import Grade, Stage, Subject

from .conftest import assert_fits_a_phone, in_chinese, log_in, log_in_by_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "一元一次方程复习"


@pytest.fixture
def session(db):
    # Two hours from now: open for booking, on a day that is already public.
    starts_at = (timeutil.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    created = Session.objects.create(
        title=TITLE,
        stage=Stage.JUNIOR,
        subject=Subject.objects.get(name="数学"),
        day=timeutil.local(starts_at).date(),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=40),
        capacity=1,
    )
    created.grades.set([Grade.objects.get(level=7)])
    return created


@pytest.fixture
def li_si(student):
    user = make_user("00124", "李四", Role.STUDENT, school=student.school)
    profile = student.student
    Student.objects.create(user=user, school=profile.school, grade=profile.grade)
    return user


def log_out(page):
    page.get_by_role("button", name=in_chinese("Log out"), exact=True).click()
    expect(page.get_by_role("link", name=in_chinese("Log in"))).to_be_visible()


def open_session(page, live_server, session):
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def cancel_booking(page, *, confirm: bool) -> None:
    """Press 取消预约 and answer the browser's confirmation; returns the question asked."""
    form = page.locator("form[data-confirm]")
    question = form.get_attribute("data-confirm")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if confirm else dialog.dismiss()

    page.once("dialog", answer)
    page.evaluate("window.notReloaded = true")
    form.get_by_role("button", name=in_chinese("Cancel my booking")).click()
    assert asked == [question]
    if confirm:
        expect(page.locator(".messages")).to_contain_text(in_chinese("Your booking is cancelled."))
    else:
        # Declined: the form was not sent, the page is the same document.
        assert page.evaluate("window.notReloaded") is True


def test_book_cancel_waitlist_promotion_and_the_parents_view(
    phone_page, live_server, session, student, parent, li_si
):
    page = phone_page

    # A visitor is asked to log in.
    open_session(page, live_server, session)
    expect(page.locator(".booking .seats")).to_contain_text("剩余 1 / 1 席")
    expect(page.locator("#booking").get_by_role("link", name=in_chinese("Log in"))).to_be_visible()

    # 李四 books the only seat and finds it in 我的课表.
    log_in(page, live_server.url, "00124")
    open_session(page, live_server, session)
    page.get_by_role("button", name=in_chinese("Book a seat")).click()
    expect(page.locator(".booking-state")).to_have_text(in_chinese("You have booked a seat."))
    expect(page.locator(".booking .seats")).to_contain_text("剩余 0 / 1 席")
    assert_fits_a_phone(page)
    page.locator("#booking").get_by_role("link", name=in_chinese("My timetable")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(in_chinese("My timetable"))
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.locator(".badge.booked")).to_have_text(in_chinese("Booked"))
    assert_fits_a_phone(page)
    log_out(page)

    # 张三 finds it full and joins the waitlist.
    log_in(page, live_server.url, "00123")
    open_session(page, live_server, session)
    page.get_by_role("button", name=in_chinese("Join the waitlist")).click()
    expect(page.locator(".booking-state")).to_have_text(in_chinese("You are on the waitlist."))
    log_out(page)

    # 李四 cancels, once asked whether the seat may go to the next one waiting: to 张三.
    log_in(page, live_server.url, "00124")
    open_session(page, live_server, session)
    cancel_booking(page, confirm=False)
    assert Booking.objects.get(learner=li_si).status == Booking.Status.CONFIRMED
    cancel_booking(page, confirm=True)
    expect(page.get_by_role("button", name=in_chinese("Join the waitlist"))).to_be_visible()
    log_out(page)
    assert Booking.objects.get(learner=student).status == Booking.Status.CONFIRMED

    # 张三 sees the notification, once, and the booking.
    log_in(page, live_server.url, "00123")
    link = page.locator(".notifications-link")
    expect(link).to_contain_text(in_chinese("Notifications"))
    expect(link.locator(".badge")).to_have_text("1")
    link.click()
    promoted = in_chinese("You have a seat: %(title)s") % {"title": TITLE}
    expect(page.locator(".notification.unread")).to_have_count(1)
    expect(page.locator(".notification.unread")).to_contain_text(promoted)
    assert_fits_a_phone(page)
    page.get_by_role("button", name=in_chinese("Mark all read")).click()
    expect(page.locator(".notification.unread")).to_have_count(0)
    expect(page.locator(".notifications-link .badge")).to_have_count(0)
    page.get_by_role("link", name=promoted).click()
    expect(page.locator(".booking-state")).to_have_text(in_chinese("You have booked a seat."))
    log_out(page)

    # 张三's parent sees the child's booking.
    log_in(page, live_server.url, parent.username)
    page.goto(live_server.url + "/my/timetable/")
    child_timetable = in_chinese("%(name)s's timetable") % {"name": "张三"}
    page.get_by_role("link", name=child_timetable).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(child_timetable)
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    assert_fits_a_phone(page)


def test_a_session_with_unlimited_seats_is_booked_shown_and_cancelled(
    phone_page, live_server, session, student
):
    Session.objects.filter(pk=session.pk).update(capacity=None)  # unlimited seats
    page = phone_page

    log_in(page, live_server.url, "00123")
    open_session(page, live_server, session)
    page.get_by_role("button", name=in_chinese("Book a seat")).click()
    expect(page.locator(".booking-state")).to_have_text(in_chinese("You have booked a seat."))
    assert Booking.objects.get(learner=student).status == Booking.Status.CONFIRMED
    page.locator("#booking").get_by_role("link", name=in_chinese("My timetable")).click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.locator(".badge.booked")).to_have_text(in_chinese("Booked"))

    page.get_by_role("link", name=TITLE).click()
    cancel_booking(page, confirm=True)
    expect(page.get_by_role("button", name=in_chinese("Book a seat"))).to_be_visible()
    assert Booking.objects.get(learner=student).status == Booking.Status.CANCELLED
    assert_fits_a_phone(page)


def time_column_lines(page) -> list[list]:
    """For each row of a session list: how many lines its date/time column takes, and
    whether it stays inside its row."""
    return page.evaluate(
        """[...document.querySelectorAll('.session .time')].map(time => {
            const box = time.getBoundingClientRect();
            const row = time.closest('.session').getBoundingClientRect();
            const line = parseFloat(getComputedStyle(time).lineHeight);
            return [Math.round(box.height / line), box.right <= row.right];
        })"""
    )


def bullets_room(page, selector: str) -> list[float]:
    """For each item of the card lists: the room, in em, between the card's border and the
    item's text. Chromium draws a bullet outside the text, ending about 1 em before it."""
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector + ' > li')].map(item => {
            const list = item.parentElement.getBoundingClientRect().left;
            const size = parseFloat(getComputedStyle(item).fontSize);
            return (item.getBoundingClientRect().left - list) / size;
        })""",
        selector,
    )


def test_a_cancelled_session_on_a_phone_and_my_timetable_with_it(
    phone_page, live_server, session, student, district_admin
):
    from eschool.classroom.services import session_cancel
    from eschool.classroom.services.booking import booking_create

    kept = Session.objects.create(
        title="古诗两首",
        stage=Stage.JUNIOR,
        day=session.day,
        starts_at=session.starts_at + dt.timedelta(hours=1),
        ends_at=session.ends_at + dt.timedelta(hours=1),
    )
    kept.grades.set([Grade.objects.get(level=7)])
    booking_create(learner=student, session=kept)
    booking_create(learner=student, session=session)
    session_cancel(actor=district_admin, session=session, reason="老师外出培训")
    page = phone_page

    # The visitor's 登录 link brings them back to the session page.
    open_session(page, live_server, session)
    page.locator(".site-header").get_by_role("link", name=in_chinese("Log in")).click()
    page.get_by_label(in_chinese("Student/staff number or mobile number")).fill("00123")
    page.get_by_label(in_chinese("Password")).fill(PASSWORD)
    page.get_by_role("button", name=in_chinese("Log in")).click()
    expect(page).to_have_url(f"{live_server.url}/sessions/{session.pk}/")

    # The booking card says cancelled, with the reason; no seats, no button.
    card = page.locator("#booking")
    expect(card.locator(".badge.cancelled")).to_have_text(in_chinese("Cancelled"))
    expect(card).to_contain_text("老师外出培训")
    expect(card).not_to_contain_text("剩余")
    expect(card.get_by_role("button")).to_have_count(0)
    assert_fits_a_phone(page)

    # 我的课表: the cancelled one apart, marked only cancelled; two lines of date and time.
    card.get_by_role("link", name=in_chinese("My timetable")).click()
    rows = page.locator(".session")
    expect(rows).to_have_count(2)
    kept_row = rows.filter(has_text="古诗两首")
    cancelled_row = rows.filter(has_text=TITLE)
    expect(kept_row.locator(".badge")).to_have_text([in_chinese("Booked")])
    expect(cancelled_row.locator(".badge")).to_have_text([in_chinese("Cancelled")])
    assert page.evaluate(
        "[...document.querySelectorAll('.session .title')].map(a => a.textContent)"
    ) == ["古诗两首", TITLE]
    assert time_column_lines(page) == [[2, True], [2, True]]
    assert_fits_a_phone(page)


def test_card_lists_keep_their_bullets_inside_on_a_phone(
    phone_page, live_server, parent, district_admin
):
    page = phone_page

    log_in_by_cookie(page, live_server.url, parent)
    page.goto(live_server.url + "/my/timetable/")
    child_timetable = in_chinese("%(name)s's timetable") % {"name": "张三"}
    expect(page.get_by_role("link", name=child_timetable)).to_be_visible()
    assert [room >= 1.5 for room in bullets_room(page, "ul.card")] == [True]

    log_in_by_cookie(page, live_server.url, district_admin)
    page.goto(live_server.url + "/accounts/")
    rooms = bullets_room(page, "ul.card")
    assert len(rooms) >= 5
    assert all(room >= 1.5 for room in rooms), rooms
