from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from eschool.accounts.passwords import check_initial_password
from eschool.accounts.services import (
    LOGIN_LOCK_SECONDS,
    login_failure_record,
    login_failures_clear,
    login_is_locked,
)
from eschool.org.cleaning import PHONE_FORMAT, CleaningError, clean_name, clean_phone, clean_text
from eschool.org.models import Grade, Region


def client_address(request) -> str:
    # The ASGI server puts the client's address here; behind nginx, run it with
    # --proxy-headers so that it is the visitor's and not the proxy's.
    return (request.META.get("REMOTE_ADDR") if request else None) or "unknown"


class ThrottledLoginMixin:
    """Authentication that never says which of number and password was wrong,
    and refuses a login for a while after too many failures."""

    error_messages = {
        "invalid_login": _("The number or the password is not correct. Check both and try again."),
        "locked": _(
            "Too many failed attempts for this login. Wait %(minutes)s minutes, then try again."
        ),
        "inactive": _("This account is disabled."),
    }

    def clean(self):
        login = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if login and password:
            address = client_address(self.request)
            if login_is_locked(login=login, address=address):
                raise self._locked_error()
            self.user_cache = authenticate(self.request, username=login, password=password)
            if self.user_cache is None:
                if login_failure_record(login=login, address=address):
                    raise self._locked_error()
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
            login_failures_clear(login=login, address=address)
        return self.cleaned_data

    def _locked_error(self):
        return ValidationError(
            self.error_messages["locked"],
            code="locked",
            params={"minutes": LOGIN_LOCK_SECONDS // 60},
        )


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = _("Student/staff number or mobile number")
        username.widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].label = _("Password")


class FirstPasswordForm(SetPasswordForm):
    """Choose one's own password instead of the printed one (no old password asked)."""

    def clean(self):
        cleaned = super().clean()
        # Typing the printed password again would keep it working for good, though
        # the page promises it stops: the paper sheet is seen by a whole class.
        password = cleaned.get("new_password1")
        if password and check_initial_password(self.user, password):
            self.add_error(
                "new_password1",
                ValidationError(
                    _("The new password must not be the printed initial password."),
                    code="password_is_initial",
                ),
            )
        return cleaned


class RegistrationForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("11 digits. You will log in with it."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    name = forms.CharField(
        label=_("Name"), max_length=60, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    school_name = forms.CharField(label=_("School"), max_length=100, required=False)
    grade = forms.ModelChoiceField(label=_("Grade"), queryset=Grade.objects.all(), required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(
            kind__in=[Region.Kind.PARTNER, Region.Kind.PUBLIC]
        )

    def clean_phone(self):
        try:
            return clean_phone(self.cleaned_data["phone"])
        except CleaningError:
            # The cleaner's other messages (1.38001E+10: format the column as text) are
            # about spreadsheet cells; a person typing here only needs the rule.
            raise ValidationError(PHONE_FORMAT, code="phone") from None

    def clean_name(self):
        name = clean_name(self.cleaned_data["name"])
        if not name:
            raise ValidationError(_("Please write your name."), code="required")
        return name

    def clean_school_name(self):
        return clean_text(self.cleaned_data["school_name"])

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", _("The two passwords are not the same."))
            else:
                try:
                    password_validation.validate_password(password1)
                except ValidationError as error:
                    self.add_error("password1", error)
        return cleaned


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or number"), required=False, max_length=60)
