from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class DistrictLanguageMiddleware:
    """Chinese unless the visitor chose otherwise with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a
    parent whose phone is set to English would land on an English page with no
    Chinese in sight. The district's site is Chinese first; the cookie set by
    the switch is the only thing that changes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
