from collections.abc import Mapping

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


def chosen_language(cookies: Mapping[str, str]) -> str:
    """The language of the switch's cookie when it names one we have, else Chinese.

    Pages (the middleware below) and WebSockets (whose messages are translated in the
    consumer) follow the same rule.
    """
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class DistrictLanguageMiddleware:
    """Chinese unless the visitor chose otherwise with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a
    parent whose phone is set to English would land on an English page with no
    Chinese in sight. The district's site is Chinese first; the cookie set by
    the switch is the only thing that changes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
