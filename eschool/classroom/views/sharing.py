"""Views of sharing and publication: short links, QR codes, posters, the
announcement, iCalendar feeds, day notices and early publication by hand."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from eschool.classroom import selectors
from eschool.classroom.models import Course, DayNotice, Session
from eschool.classroom.selectors import publication as sharing
from eschool.classroom.services import publication as services
from eschool.classroom.views import PUBLIC_MAX_AGE, _public_cache, district_admin_required
from eschool.core import timeutil

QR_MAX_AGE = 24 * 3600
QR_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def _day_or_404(value: str) -> dt.date:
    day = selectors.parse_day(value)
    if day is None:
        raise Http404(_("No such date."))
    return day


# Short links ----------------------------------------------------------------------


def _course_target(course: Course) -> str | None:
    """The course page when the courses part provides one, else its first session."""
    try:
        return reverse("classroom:course", args=[course.pk])
    except NoReverseMatch:
        first = course.sessions.order_by("starts_at", "id").values_list("pk", flat=True).first()
        return reverse("classroom:session", args=[first]) if first is not None else None


def _share_target(kind: str, code: str) -> str:
    """Where the short link `kind`/`code` leads; Http404 when it leads nowhere."""
    if kind == "s":
        pk = Session.objects.filter(share_code=code).values_list("pk", flat=True).first()
        if pk is not None:
            return reverse("classroom:session", args=[pk])
    elif kind == "c":
        course = Course.objects.filter(share_code=code).first()
        target = _course_target(course) if course is not None else None
        if target is not None:
            return target
    elif kind == "d":
        day = sharing.parse_day_share_code(code)
        if day is not None:
            return reverse("classroom:day", args=[day])
    raise Http404(_("This link leads nowhere."))


@require_safe
def share_session(request, code: str):
    return redirect(_share_target("s", code))


@require_safe
def share_course(request, code: str):
    return redirect(_share_target("c", code))


@require_safe
def share_day(request, code: str):
    return redirect(_share_target("d", code))


_SHARE_ROUTES = {
    "s": "classroom:share_session",
    "c": "classroom:share_course",
    "d": "classroom:share_day",
}


@require_safe
def share_qr(request, kind: str, code: str, fmt: str):
    """The QR code of a short link, as SVG or PNG; cacheable for a day."""
    _share_target(kind, code)  # 404 for a code that leads nowhere
    url = request.build_absolute_uri(reverse(_SHARE_ROUTES[kind], args=[code]))
    response = HttpResponse(sharing.qr_file(url, kind=fmt), content_type=QR_TYPES[fmt])
    patch_cache_control(response, public=True, max_age=QR_MAX_AGE)
    return response


# Poster and announcement -----------------------------------------------------------


def _session_share_url(request, session: Session) -> str:
    return request.build_absolute_uri(reverse("classroom:share_session", args=[session.share_code]))


@require_safe
def session_poster(request, pk: int):
    """One A4 page for a session: title, teacher, time, a large QR code, the short link."""
    at = timeutil.now()
    session = selectors.session_get_for_user(pk, user=request.user, at=at)
    if session is None:
        raise Http404(_("No such session."))
    share_url = _session_share_url(request, session)
    response = render(
        request,
        "classroom/poster.html",
        {
            "session": session,
            "share_url": share_url,
            "qr": mark_safe(sharing.qr_svg(share_url, scale=10)),  # noqa: S308 - made by segno
        },
    )
    public = selectors.day_is_public(session.day, at=at)
    return _public_cache(response, public and not request.user.is_authenticated)


@require_safe
def day_announcement(request, value: str):
    """The printable announcement of a day: sessions by stage and grade with teachers,
    times and a QR code each, plus one for the day. A fixed number of queries."""
    day = _day_or_404(value)
    at = timeutil.now()
    public = selectors.day_is_public(day, at=at)
    if not public and not selectors.user_sees_unpublished(request.user):
        raise Http404(_("This timetable is not published yet."))
    sessions = selectors.sessions_of_day(day)
    day_url = request.build_absolute_uri(
        reverse("classroom:share_day", args=[sharing.day_share_code(day)])
    )
    urls = {session.pk: _session_share_url(request, session) for session in sessions}
    # segno's SVG holds nothing of ours but the (escaped) link in its <title>.
    codes = {
        url: mark_safe(svg)  # noqa: S308
        for url, svg in sharing.qr_svgs([day_url, *urls.values()], scale=3).items()
    }
    for session in sessions:
        session.share_url = urls[session.pk]
        session.qr = codes[session.share_url]
    response = render(
        request,
        "classroom/announcement.html",
        {
            "day": day,
            "published": public,
            "stages": selectors.group_by_stage_and_grade(sessions),
            "notices": sharing.notices_of_day(day),
            "day_url": day_url,
            "day_qr": codes[day_url],
        },
    )
    return _public_cache(response, public and not request.user.is_authenticated)


# Calendars ------------------------------------------------------------------------


def _ics_response(data: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _session_url(request):
    return lambda session: request.build_absolute_uri(
        reverse("classroom:session", args=[session.pk])
    )


@require_safe
def day_ics(request, value: str):
    """The public timetable of a day as iCalendar; 404 before it is published."""
    day = selectors.parse_day(value)
    if day is None or not selectors.day_is_public(day):
        raise Http404(_("No published timetable for this date."))
    data = sharing.calendar_ics(
        name=_("Timetable of %(date)s") % {"date": day.isoformat()},
        sessions=selectors.sessions_of_day(day),
        notices=sharing.notices_of_day(day),
        session_url=_session_url(request),
    )
    response = _ics_response(data, filename=f"eschool-{day.isoformat()}.ics")
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


@require_safe
@never_cache
def calendar_feed(request, token: str):
    """A person's private calendar: 404 for an unknown or revoked token."""
    feed = sharing.calendar_feed_by_token(token)
    if feed is None or not feed.user.is_active:
        raise Http404(_("No such calendar."))
    data = sharing.calendar_ics(
        name=_("My eSchool timetable"),
        sessions=sharing.sessions_for_calendar(feed.user),
        notices=sharing.notices_for_calendar(),
        session_url=_session_url(request),
    )
    return _ics_response(data, filename="eschool.ics")


@never_cache
@login_required
def my_calendar(request):
    """The person's calendar address, how to subscribe, and a button for a new address."""
    if request.method == "POST":
        services.calendar_feed_renew(user=request.user)
        messages.success(
            request, _("Your calendar has a new address; the old one no longer works.")
        )
        return redirect("classroom:my_calendar")
    feed = services.calendar_feed_get_or_create(user=request.user)
    url = request.build_absolute_uri(reverse("classroom:calendar_feed", args=[feed.token]))
    return render(
        request,
        "classroom/calendar_mine.html",
        {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]},
    )


# Day notices and early publication ---------------------------------------------------


class NoticeForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    no_classes = forms.BooleanField(
        label=gettext_lazy("No classes this day"), required=False, initial=True
    )


@district_admin_required
def notices(request):
    """Add and list all-day notices (holidays, exam days)."""
    if request.method == "POST":
        form = NoticeForm(request.POST)
        if form.is_valid():
            try:
                notice = services.day_notice_add(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, problems)
            else:
                messages.success(
                    request,
                    _("The notice is on the timetable of %(date)s.")
                    % {"date": notice.day.isoformat()},
                )
                # A notice does not cancel anything: the administrator withdraws each
                # session (which tells its booked students), so say what is still on.
                still_on = notice.no_classes and sharing.sessions_still_on(notice.day)
                if still_on:
                    messages.warning(
                        request,
                        ngettext(
                            "%(count)d session is still on the timetable of %(date)s: "
                            "withdraw it on its page if it will not take place.",
                            "%(count)d sessions are still on the timetable of %(date)s: "
                            "withdraw them on their pages if they will not take place.",
                            still_on,
                        )
                        % {"count": still_on, "date": notice.day.isoformat()},
                    )
                return redirect("classroom:notices")
    else:
        form = NoticeForm(initial={"no_classes": True})
    today = timeutil.today()
    return render(
        request,
        "classroom/announcement_notices.html",
        {"form": form, "notices": sharing.notices_from(today - dt.timedelta(days=30))},
    )


@require_POST
@district_admin_required
def notice_delete(request, pk: int):
    notice = get_object_or_404(DayNotice, pk=pk)
    services.day_notice_remove(actor=request.user, notice=notice)
    messages.success(request, _("The notice is removed."))
    return redirect("classroom:notices")


@require_POST
@district_admin_required
def day_publish(request, value: str):
    """Publish a day's timetable now, before the evening task would."""
    day = _day_or_404(value)
    _publication, created = services.day_publish_once(day=day, actor=request.user)
    if created:
        messages.success(request, _("The timetable of this day is published."))
    else:
        messages.info(request, _("The timetable of this day was already published."))
    return redirect("classroom:day", day=day)
