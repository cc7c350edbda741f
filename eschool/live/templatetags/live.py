from django import template

from eschool.live import selectors

register = template.Library()


@register.simple_tag
def replay_of(session):
    """{% replay_of session as replay %}: the session's replay or None."""
    return selectors.replay_of(session)
