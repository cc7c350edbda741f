import datetime as dt
import json
import time
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from eschool.classroom import selectors, services
from eschool.classroom.forms import CancelForm, NewSessionForm, SessionForm
from eschool.classroom.models import Session
from eschool.classroom.selectors.booking import seats_as_json
from eschool.classroom.selectors.publication import notices_of_day
from eschool.core import timeutil
from eschool.live.selectors import public_playlist_paths, sessions_with_replay
from eschool.watching import event_page

PUBLIC_MAX_AGE = 60
PAGE_KEY = "classroom:page:{day}:{language}:{state}:{version}"
JSON_KEY = "classroom:json:{day}:{version}:{origin}"
# Seats left change with every booking; partners polling the feed at 8:00 may
# see them up to this many seconds old, and the server builds it once per period.
JSON_MAX_AGE = 10


def _public_cache(response, public: bool):
    if public:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


def _day_sessions(day: dt.date) -> dict:
    """The day's sessions by stage and grade, and the ids of those with a replay (the rows'
    回看 mark): three queries whatever the number of sessions."""
    sessions = selectors.sessions_of_day(day)
    return {
        "stages": selectors.group_by_stage_and_grade(sessions),
        "replays": sessions_with_replay(session.pk for session in sessions),
    }


def _timetable_html(request, day: dt.date, *, at: dt.datetime, public: bool) -> str:
    """The timetable part of a day page; cached for visitors who see only public days.

    Only this part is cached, not the whole page: the header around it carries
    the visitor's name and CSRF token.
    """
    administrator = selectors.user_sees_unpublished(request.user)
    today = timeutil.today(at)
    next_day = day + dt.timedelta(days=1)
    next_public = selectors.day_is_public(next_day, at=at)
    context = {
        "day": day,
        "is_today": day == today,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": next_day,
        "next_public": next_public,
        "show_next": next_public or administrator,
        "published": public,
        "publication_moment": selectors.publication_moment(day),
        "can_manage": selectors.user_manages_timetable(request.user),
    }
    if administrator:
        context |= _day_sessions(day)
        return render_to_string("classroom/_timetable.html", context)
    # What the cached HTML depends on besides the sessions: the publication
    # state of this day and the next, and whether the day is today.
    state = f"{int(public)}{int(next_public)}{int(day == today)}"
    key = PAGE_KEY.format(
        day=day.isoformat(),
        language=translation.get_language(),
        state=state,
        version=selectors.timetable_version(day),
    )
    html = cache.get(key)
    if html is None:
        context |= _day_sessions(day)
        html = render_to_string("classroom/_timetable.html", context)
        cache.set(key, html, PUBLIC_MAX_AGE)
    return mark_safe(html)  # noqa: S308 - rendered by our own template, escaped there


def _day_page(request, day: dt.date):
    at = timeutil.now()
    public = selectors.day_is_public(day, at=at)
    if not public and not selectors.user_sees_unpublished(request.user):
        raise Http404(_("This timetable is not published yet."))
    body = _timetable_html(request, day, at=at, public=public)
    response = render(
        request,
        "classroom/day.html",
        {"day": day, "is_today": day == timeutil.today(at), "timetable": body},
    )
    return _public_cache(response, public and not request.user.is_authenticated)


@require_safe
def today(request):
    return _day_page(request, timeutil.today())


@require_safe
def day(request, day: dt.date):
    return _day_page(request, day)


@require_safe
def pick_day(request):
    """The date picker's target: on to that day's page."""
    chosen = selectors.parse_day(request.GET.get("date", ""))
    if chosen is None:
        return redirect("classroom:today")
    if chosen == timeutil.today():
        return redirect("classroom:today")
    return redirect("classroom:day", day=chosen)


def _session_page(request, session: Session, template: str = "classroom/session_detail.html"):
    return render(
        request,
        template,
        {
            "session": session,
            "published": selectors.day_is_public(session.day),
            "publication_moment": selectors.publication_moment(session.day),
            "can_manage": selectors.user_manages_timetable(request.user),
        },
    )


@require_safe
def session_detail(request, pk: int):
    # A district event is one page for all its viewers, logged in or not, cached here and
    # by nginx or a CDN (public); its teacher and the administrators get their own.
    shared = event_page.shared_page(request, pk, render=_session_page)
    if shared is not None:
        return shared
    at = timeutil.now()
    session = selectors.session_get_for_user(pk, user=request.user, at=at)
    if session is None:
        raise Http404(_("No such session."))
    public = selectors.day_is_public(session.day, at=at)
    response = _session_page(request, session)
    return _public_cache(response, public and not request.user.is_authenticated)


def _timetable_json(request, day: dt.date) -> bytes:
    at = timeutil.now()
    session_url = request.build_absolute_uri(reverse("classroom:session", args=[0]))[: -len("0/")]
    day_sessions = selectors.sessions_of_day(day)
    # The live playlist while a broadcast is on, else the replay's, for the sessions anyone
    # may watch (the rule status.json follows): one query for the day.
    playlists = public_playlist_paths(day_sessions, at=at)
    media_url = request.build_absolute_uri(settings.MEDIA_URL)
    sessions = [
        selectors.session_as_json(session, url=f"{session_url}{session.pk}/")
        # Seats and booking state: read from the session row, no extra query.
        | seats_as_json(session, at=at)
        | {"hls_url": f"{media_url}{playlists[session.pk]}" if session.pk in playlists else None}
        for session in day_sessions
    ]
    notices = [
        {"title": notice.title, "description": notice.description, "no_classes": notice.no_classes}
        for notice in notices_of_day(day)
    ]
    document = {
        "date": day.isoformat(),
        "published": True,
        "notices": notices,
        "sessions": sessions,
    }
    return json.dumps(document, ensure_ascii=False, cls=DjangoJSONEncoder).encode()


def _cached_json(request, day: dt.date, key: str) -> bytes:
    """The day's JSON, rebuilt by one request at a time once it is older than JSON_MAX_AGE.

    The others keep answering with the previous copy meanwhile: at 8:00 a cache
    miss must not turn into every waiting request building the same document.
    """
    entry = cache.get(key)
    now = time.time()
    stale = entry is not None and now - entry[0] > JSON_MAX_AGE
    if entry is None or (stale and cache.add(f"{key}:building", 1, 30)):
        body = _timetable_json(request, day)
        cache.set(key, (now, body), JSON_MAX_AGE * 30)
        cache.delete(f"{key}:building")
        return body
    return entry[1]


def api_timetable(request, value: str):
    """The public timetable of a day as JSON, for partner regions (CORS open)."""
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    day = selectors.parse_day(value)
    if day is None or not selectors.day_is_public(day):
        response = JsonResponse(
            {"error": _("No published timetable for this date.")},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
        patch_cache_control(response, no_cache=True)
    else:
        key = JSON_KEY.format(
            day=day.isoformat(),
            version=selectors.timetable_version(day),
            origin=f"{request.scheme}://{request.get_host()}",
        )
        response = HttpResponse(_cached_json(request, day, key), content_type="application/json")
        patch_cache_control(response, public=True, max_age=JSON_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"
    return response


# Managing the timetable ---------------------------------------------------------


def district_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.user_manages_timetable(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _managed_session(pk: int) -> Session:
    session = Session.objects.select_related("teacher__user", "subject").filter(pk=pk).first()
    if session is None:
        raise Http404(_("No such session."))
    return session


def call_service(form: forms.Form, call, *, fields: dict | None = None):
    """Call the service; its ValidationErrors go next to the fields they concern.

    `fields` maps a service argument to the form field that holds it. Returns
    what the service returned, or None when it refused (the form has the errors).
    """
    try:
        return call()
    except ValidationError as error:
        fields = fields or {}
        for name, problems in error.message_dict.items():
            name = fields.get(name, name)
            form.add_error(name if name in form.fields else None, problems)
    return None


@district_admin_required
def session_new(request):
    if request.method == "POST":
        form = NewSessionForm(request.POST)
        if form.is_valid():
            session = call_service(
                form,
                lambda: services.session_create(actor=request.user, **form.service_arguments()),
                fields=SessionForm.SERVICE_FIELDS,
            )
            if session is not None:
                messages.success(request, _("The session is on the timetable."))
                return redirect("classroom:session", pk=session.pk)
    else:
        try:
            initial_day = dt.date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            initial_day = timeutil.today()
        form = NewSessionForm(initial={"date": initial_day, "kind": Session.Kind.CLASS})
    return render(request, "classroom/session_form.html", {"form": form, "session": None})


@district_admin_required
def session_edit(request, pk: int):
    session = _managed_session(pk)
    if request.method == "POST":
        form = SessionForm(request.POST)
        if form.is_valid():
            saved = call_service(
                form,
                lambda: services.session_update(
                    actor=request.user, session=session, **form.service_arguments()
                ),
                fields=SessionForm.SERVICE_FIELDS,
            )
            if saved is not None:
                messages.success(request, _("The session is saved."))
                return redirect("classroom:session", pk=saved.pk)
    else:
        form = SessionForm(initial=SessionForm.initial_for(session))
    return render(request, "classroom/session_form.html", {"form": form, "session": session})


@district_admin_required
def session_cancel(request, pk: int):
    session = _managed_session(pk)
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid() and call_service(
            form,
            lambda: services.session_cancel(
                actor=request.user, session=session, reason=form.cleaned_data["reason"]
            ),
        ):
            messages.success(request, _("The session is cancelled."))
            return redirect("classroom:session", pk=session.pk)
    else:
        form = CancelForm()
    return render(request, "classroom/session_cancel.html", {"form": form, "session": session})
