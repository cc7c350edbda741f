"""{% load tutoring_format %}: sentences of the tutoring pages that hold marked-up numbers."""

import datetime as dt

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _seconds(wait: dt.timedelta | None, css_class: str) -> SafeString:
    text = _("%(seconds)s s") % {"seconds": round(wait.total_seconds())} if wait else "—"
    return format_html('<strong class="{}">{}</strong>', css_class, text)


@register.simple_tag
def waits_summary(median: dt.timedelta | None, p90: dt.timedelta | None, matched: int):
    """Today's median and 90th-percentile waits as one translated sentence: units and
    punctuation are the language's (Chinese: 秒, full-width comma and brackets), and the
    markup around the numbers stays out of the message catalogue."""
    sentence = _("Today's waits: median %(median)s, 90th percentile %(p90)s (%(matched)s)")
    matched_text = ngettext(
        "%(count)s question matched", "%(count)s questions matched", matched
    ) % {"count": matched}
    return mark_safe(
        conditional_escape(sentence)
        % {
            "median": _seconds(median, "median-wait"),
            "p90": _seconds(p90, "p90-wait"),
            "matched": conditional_escape(matched_text),
        }
    )


@register.filter
def duration(seconds) -> str:
    """Seconds as m:ss (1:32), the same in every language: a short session shows its real
    length instead of 0 minutes."""
    seconds = max(0, int(seconds or 0))
    return f"{seconds // 60}:{seconds % 60:02d}"
