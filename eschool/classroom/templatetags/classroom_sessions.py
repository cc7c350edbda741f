"""{% session_state session as state %}: where a session stands, as every page says it
(classroom.selectors.session_state): the session page's 状态 row and a course's list."""

from django import template

from eschool.classroom import selectors

register = template.Library()


@register.simple_tag
def session_state(session, at=None):
    return selectors.session_state(session, at=at)
