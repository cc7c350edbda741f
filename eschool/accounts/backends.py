import unicodedata

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from eschool.accounts.models import User
from eschool.accounts.passwords import check_initial_password
from eschool.org.cleaning import clean_phone_or_none


def normalize_login(raw: str) -> str:
    """What a person typed in the login field, as we look it up.

    Chinese input methods often type full-width digits (１３８…) and stray spaces;
    NFKC turns them into the ASCII the numbers are stored with.
    """
    return unicodedata.normalize("NFKC", raw or "").strip()


def login_key(raw: str) -> str:
    """One key per login, however it was typed: the mobile number if it is one."""
    login = normalize_login(raw)
    return clean_phone_or_none(login) or login.upper()


class NumberOrPhoneBackend(ModelBackend):
    """Log in with a student/staff number or a mobile number, and a password.

    An account that still has its printed initial password logs in with it; the
    middleware then sends the person to choose their own.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        login = normalize_login(username)
        if not login:
            return None
        # Numbers are stored upper-cased (T0001); people type t0001 too.
        names = {login, login.upper()}
        phone = clean_phone_or_none(login)
        condition = Q(username__in=names)
        if phone:
            condition |= Q(phone=phone)
        found = list(User.objects.filter(condition))
        # A number that is exactly someone's username wins over a mobile number
        # that belongs to someone else.
        found.sort(key=lambda u: (u.username != login, u.username != login.upper()))
        if not found:
            # Run the hasher anyway so that timing does not tell who exists.
            User().set_password(password)
            return None
        for user in found:
            if not self.user_can_authenticate(user):
                continue
            if user.has_usable_password() and user.check_password(password):
                return user
            if user.must_change_password and check_initial_password(user, password):
                return user
        return None
