"""{% load links %}: links that bring a visitor back to where they were (eschool.core.links)."""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url

from eschool.core.links import login_url_back_to

register = template.Library()


@register.simple_tag(takes_context=True)
def login_url(context) -> str:
    """{% login_url %}: the header's 登录 link, back to the current page after logging in."""
    request = context.get("request")
    if request is None:  # error pages rendered without a request
        return resolve_url(settings.LOGIN_URL)
    return login_url_back_to(request)
