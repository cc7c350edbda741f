"""Template tags of the sharing part: a day's notices, short links, QR codes.

The day and session pages are rendered by views that know nothing of sharing;
these tags let the share and notice partials fetch what they need (cached).
"""

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from eschool.classroom import selectors
from eschool.classroom.selectors import publication

register = template.Library()


@register.simple_tag
def day_notices(day):
    """The all-day notices of `day` (cached per timetable version)."""
    return publication.notices_of_day(day)


@register.simple_tag(takes_context=True)
def day_state(context, day):
    """Whether `day` is public, and whether the viewer may publish it early."""
    return {
        "published": selectors.day_is_public(day),
        "can_manage": selectors.user_manages_timetable(context["request"].user),
    }


@register.simple_tag(takes_context=True)
def absolute(context, path):
    """`path` as an absolute URL on the host the visitor used."""
    return context["request"].build_absolute_uri(path)


@register.simple_tag
def day_share_path(day):
    return reverse("classroom:share_day", args=[publication.day_share_code(day)])


@register.simple_tag
def session_share_path(session):
    return reverse("classroom:share_session", args=[session.share_code])


@register.simple_tag
def qr_svg(url, scale=4):
    """An inline SVG QR code of `url` (segno's output: no text of ours in it)."""
    return mark_safe(publication.qr_svg(url, scale=scale))  # noqa: S308 - made by segno
