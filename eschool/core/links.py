"""Links that bring a visitor back to where they were."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def login_url_back_to(request) -> str:
    """The login page's address with ?next=<the page of `request`>, so that logging in
    returns there; without it on the login page itself, or for a path that is not local
    (a request for //other.example/ must not become a way off the site)."""
    login = resolve_url(settings.LOGIN_URL)
    here = request.get_full_path()
    if request.path == login or not url_has_allowed_host_and_scheme(here, allowed_hosts=None):
        return login
    return f"{login}?{urlencode({'next': here})}"
