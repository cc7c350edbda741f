"""{% booking_panel session as panel %}: the visitor's booking state on a session page.

A template tag because the session page's view belongs to the timetable part;
the booking part fills in its own partial (_session_booking.html).
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from eschool.classroom.selectors.booking import booking_panel as panel_for
from eschool.classroom.selectors.booking import may_see_roster
from eschool.classroom.views.booking import REFUSAL_KEY
from eschool.core.links import login_url_back_to

register = template.Library()


@register.simple_tag(takes_context=True)
def booking_panel(context, session):
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None:
        return None
    panel = panel_for(user=user, session=session)
    refusal = ""
    if user.is_authenticated:
        # Set by the booking views when they refused (post/redirect/get).
        refusal = request.session.pop(REFUSAL_KEY.format(pk=session.pk), "")
    return {
        "panel": panel,
        "error": refusal,
        "login_url": login_url_back_to(request),
        "register_url": reverse("accounts:register")
        + "?"
        + urlencode({"next": request.get_full_path()}),
        "sees_roster": may_see_roster(user, session),
    }
