"""{% load text %}: text put together for display (eschool.core.text)."""

from django import template

from eschool.core.text import join_list as _join_list

register = template.Library()


@register.filter
def join_list(items) -> str:
    """{{ session.grades.all|join_list }}: the items' names joined with the language's list
    separator (、 in Chinese, ", " in English); escaped like any other value."""
    return _join_list(items)
