"""Template tags of the upload page and the replay tools (live/_replay_tools.html)."""

from django import template

from eschool.live import selectors, services

register = template.Library()


@register.simple_tag(takes_context=True)
def manages_recordings(context, session) -> bool:
    """{% manages_recordings session as can %}: the session's teacher or an admin (no query)."""
    request = context.get("request")
    return services.user_manages_recordings(getattr(request, "user", None), session)


@register.simple_tag
def chapters_of(recording):
    """{% chapters_of replay as chapters %}: the replay's chapters by time (one query)."""
    return selectors.chapters_of(recording)


@register.filter
def clock(seconds) -> str:
    """3725 -> "1:02:05", 125 -> "02:05": how a player shows a time."""
    try:
        seconds = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@register.simple_tag
def replay_for_tools(session, replay=None):
    """{% replay_for_tools session replay as replay %}: the replay given, else the session's."""
    return replay or selectors.replay_of(session)


@register.simple_tag
def chapter_form_or_new(form=None):
    """The chapter form with its errors, or an empty one."""
    from eschool.live.replay_views import ChapterForm

    return form or ChapterForm()
