"""A district event's watch page: one page for every viewer, cached here and by nginx or a CDN.

At 8:00 100,000 students open the same ceremony. Its session page is rendered as the
public sees it (no name, no CSRF token, no messages, no booking of one's own), kept in
the cache, and sent to everyone who does not run the event, logged in or not, with
`Cache-Control: public`. Nothing on it is personal, and what would be is elsewhere:
the heartbeat's token is the same for all (services.shared_token_issue, also public),
the chat is read-only and polled as a small public JSON (chat.views.recent_json), and
the header links to one's own page instead of naming one. The only per-viewer request
left is the heartbeat.

The event's teacher and district administrators get the usual page (go-live panel, chat
moderation); `?manage=1` reaches it even where a shared cache answers for the plain URL.
"""

from __future__ import annotations

import copy

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control

from eschool.classroom.models import Session
from eschool.classroom.selectors import session_get_for_user, timetable_version
from eschool.live.player import status_document
from eschool.live.services import user_manages_recordings
from eschool.watching.selectors import open_event

# As long as the public day pages; the player corrects what it shows from status.json.
PAGE_MAX_AGE = 60
# The broadcast's state and the day's version are in the key: going live, ending, or an
# edit of the session makes a new page at once.
PAGE_KEY = "watching:event-page:{pk}:{language}:{status}:{replay}:{version}"
TEMPLATE = "watching/event_page.html"
MANAGE_PARAMETER = "manage"


def shared_page(request, pk: int, *, render) -> HttpResponse | None:
    """The shared page of district event `pk`, or None when this request needs its own.

    None for anything that is not a district event everyone may watch, for those who
    manage the event, and for `?manage=1`. `render(request, session, template)` renders
    the session page (the classroom view's own context) for the request given.
    Queries: none once the page is cached, besides what the middleware does to know
    who is logged in.
    """
    if MANAGE_PARAMETER in request.GET:
        return None
    event = open_event(pk)
    if event is None:
        return None
    if user_manages_recordings(request.user, Session(pk=event.pk, teacher_id=event.teacher_id)):
        return None
    state = status_document(pk)  # cached for everyone (live.player), shared with status.json
    if state is None or state["cancelled"]:
        return None
    key = PAGE_KEY.format(
        pk=pk,
        language=translation.get_language(),
        status=state["status"],
        replay=int(state["replay"]),
        version=timetable_version(event.day),
    )
    html = cache.get(key)
    if html is None:
        public = as_the_public(request)
        session = session_get_for_user(pk, user=public.user)
        if session is None:
            return None
        html = render(public, session, TEMPLATE).content
        cache.set(key, html, PAGE_MAX_AGE)
    response = HttpResponse(html)
    patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE)
    return response


def as_the_public(request):
    """A copy of `request` as a visitor who is not logged in sees it: templates and tags read
    this user, no messages are taken from the real one's queue, and no CSRF token or
    cookie is made for the real one."""
    public = copy.copy(request)
    public.user = AnonymousUser()
    public._messages = []
    public.META = {k: v for k, v in request.META.items() if k not in {"CSRF_COOKIE", "HTTP_COOKIE"}}
    public.COOKIES = {}
    return public
