from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    """Someone still on their printed initial password must choose their own first."""

    allowed_prefixes = ("/accounts/password/first/", "/accounts/logout/", "/static/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(self.allowed_prefixes)
        ):
            return redirect(reverse("accounts:first_password") + f"?next={request.path}")
        return self.get_response(request)
