from django.contrib.auth.backends import ModelBackend

from eschool.accounts.models import User
from eschool.accounts.passwords import check_initial_password
from eschool.org.cleaning import clean_phone_or_none


class NumberOrPhoneBackend(ModelBackend):
    """Log in with a student/staff number or a mobile number, and a password.

    An account that still has its printed initial password logs in with it; the
    middleware then sends the person to choose their own.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        login = username.strip()
        user = User.objects.filter(username=login).first()
        phone = clean_phone_or_none(login)
        if user is None and phone:
            user = User.objects.filter(phone=phone).first()
        if user is None:
            # Run the hasher anyway so that timing does not tell who exists.
            User().set_password(password)
            return None
        if not self.user_can_authenticate(user):
            return None
        if user.has_usable_password() and user.check_password(password):
            return user
        if user.must_change_password and check_initial_password(user, password):
            return user
        return None
