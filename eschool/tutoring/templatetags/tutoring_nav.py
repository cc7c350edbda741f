"""{% load tutoring_nav %}: what the tutoring pages' navigation offers to whom."""

from django import template

from eschool.tutoring import selectors

register = template.Library()


@register.filter
def may_ask(user) -> bool:
    """Students, and outside learners where the district allows it: the others (parents,
    school administrators) would get 403 from the ask page."""
    return selectors.may_ask(user)
