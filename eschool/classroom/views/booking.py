"""Views of booking: book, join the waitlist, cancel, my timetable, a child's, the roster."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from eschool.accounts import selectors as accounts_selectors
from eschool.accounts.models import Role
from eschool.classroom import selectors
from eschool.classroom.models import Booking
from eschool.classroom.selectors import booking as booking_selectors
from eschool.classroom.services import booking as booking_services
from eschool.core import timeutil

# Where the session page finds a refusal to show next to the booking button
# (the booking views redirect back to the page: post/redirect/get).
REFUSAL_KEY = "classroom:booking_refused:{pk}"


def _visible_session(request, pk: int):
    session = selectors.session_get_for_user(pk, user=request.user)
    if session is None:
        raise Http404(_("No such session."))
    return session


def _back_to_session(request, session, *, refusal: str = ""):
    if refusal:
        request.session[REFUSAL_KEY.format(pk=session.pk)] = refusal
    return redirect(reverse("classroom:session", args=[session.pk]) + "#booking")


@never_cache
@require_POST
def book(request, pk: int):
    """Book a seat; with waitlist=1 in the form, join the waitlist when the session is full."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("classroom:session", args=[pk]))
    session = _visible_session(request, pk)
    try:
        booking = booking_services.booking_create(
            learner=request.user, session=session, waitlist=request.POST.get("waitlist") == "1"
        )
    except booking_services.BookingRefused as refused:
        return _back_to_session(request, session, refusal=refused.message)
    if booking.status == Booking.Status.CONFIRMED:
        messages.success(request, _("Your seat is booked."))
    else:
        messages.success(
            request, _("You are on the waitlist; we will notify you if a seat frees up.")
        )
    return _back_to_session(request, session)


@never_cache
@require_POST
def cancel(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("classroom:session", args=[pk]))
    session = _visible_session(request, pk)
    booking = booking_selectors.booking_of(learner=request.user, session=session)
    if booking is None:
        return _back_to_session(request, session)
    try:
        booking_services.booking_cancel(learner=request.user, booking=booking)
    except booking_services.BookingRefused as refused:
        return _back_to_session(request, session, refusal=refused.message)
    messages.success(request, _("Your booking is cancelled."))
    return _back_to_session(request, session)


@never_cache
@require_GET
@login_required
def my_timetable(request):
    user = request.user
    children = []
    if user.role == Role.PARENT or user.guardianships.exists():
        children = list(accounts_selectors.children_of(user))
    return render(
        request,
        "classroom/booking_timetable.html",
        {
            "timetable": booking_selectors.timetable_of(learner=user),
            "children": children,
            "child": None,
            # Teachers do not book; their timetable is the sessions they give.
            "taught": (
                selectors.sessions_taught_by(user, from_day=timeutil.today())
                if user.role == Role.TEACHER
                else None
            ),
        },
    )


@never_cache
@require_GET
@login_required
def child_timetable(request, student_id: int):
    child = accounts_selectors.child_get_for_parent(parent=request.user, student_id=student_id)
    return render(
        request,
        "classroom/booking_timetable.html",
        {
            "timetable": booking_selectors.timetable_of(learner=child.user),
            "children": [],
            "child": child,
        },
    )


def _roster_page(request, session, *, capacity_value="", capacity_error="", status=200):
    return render(
        request,
        "classroom/booking_roster.html",
        {
            "session": session,
            "roster": booking_selectors.roster_of(session=session),
            "seats_left": booking_selectors.seats_left(session),
            "can_manage": selectors.user_manages_timetable(request.user),
            "capacity_value": capacity_value,
            "capacity_error": capacity_error,
        },
        status=status,
    )


@never_cache
@require_GET
@login_required
def roster(request, pk: int):
    session = booking_selectors.session_get_for_roster(user=request.user, session_id=pk)
    value = "" if session.capacity is None else str(session.capacity)
    return _roster_page(request, session, capacity_value=value)


@never_cache
@require_POST
@login_required
def capacity(request, pk: int):
    """District administrators change the number of seats (empty: unlimited)."""
    session = booking_selectors.session_get_for_roster(user=request.user, session_id=pk)
    if not selectors.user_manages_timetable(request.user):
        raise Http404
    raw = request.POST.get("capacity", "").strip()
    error = ""
    value = None
    if raw:
        try:
            value = int(raw)
        except ValueError:
            error = _("Enter a whole number of seats, or leave it empty for unlimited.")
    if not error:
        try:
            booking_services.session_capacity_set(
                actor=request.user, session=session, capacity=value
            )
        except ValidationError as invalid:
            error = " ".join(invalid.message_dict.get("capacity", invalid.messages))
    if error:
        return _roster_page(request, session, capacity_value=raw, capacity_error=error, status=400)
    messages.success(request, _("The number of seats is saved."))
    return redirect("classroom:roster", pk=session.pk)
