"""Thin views: parse input, check access through selectors, call services."""

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from eschool.accounts import selectors, services
from eschool.accounts.forms import (
    FirstPasswordForm,
    LoginForm,
    PeopleSearchForm,
    RegistrationForm,
)
from eschool.accounts.models import Role
from eschool.classroom import selectors as classroom_selectors
from eschool.core import timeutil


def _url_or(name: str, fallback: str) -> str:
    """The URL of a page another app provides, or its planned path until it exists."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    # POST only (Django's LogoutView refuses GET); back to the public timetable.
    next_page = "/"


@login_required
def home(request):
    user = request.user
    context = {
        "import_url": _url_or("org:import_upload", "/manage/import/"),
        "exports_url": _url_or("org:exports", "/manage/exports/"),
    }
    if user.role == Role.SCHOOL_ADMIN and user.school_id:
        context["school"] = user.school
    elif user.role == Role.TEACHER:
        context["profile"] = selectors.teacher_profile_of(user)
        context["sessions"] = classroom_selectors.sessions_taught_by(
            user, from_day=timeutil.today()
        )
        # Teachers are parents too (a student import links a teacher of the same name).
        context["children"] = list(selectors.children_of(user))
    elif user.role == Role.STUDENT:
        context["profile"] = selectors.student_get_for_user(user=user, student_id=user.pk)
    elif user.role == Role.PARENT:
        context["children"] = list(selectors.children_of(user))
    elif user.role == Role.OUTSIDE_LEARNER:
        context["profile"] = selectors.outside_learner_of(user)
    return render(request, "accounts/home.html", context)


@never_cache
@sensitive_post_parameters()
@login_required
def first_password(request):
    """Choose one's own password instead of the printed initial one."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or next_url.startswith(reverse("accounts:first_password")):
        next_url = reverse("accounts:home")
    if not user.must_change_password:
        return redirect(next_url)
    form = FirstPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_own_password(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is saved. Use it from now on."))
        return redirect(next_url)
    return render(request, "accounts/first_password.html", {"form": form, "next": next_url})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form):
        # The service is the only write path; it also clears any initial password.
        services.user_set_own_password(
            user=self.request.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password is changed."))
        return redirect(self.get_success_url())


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def reset_password(request, user_id):
    person = selectors.person_get_for_reset(actor=request.user, user_id=user_id)
    if request.method == "POST":
        password = services.user_reset_password(actor=request.user, user=person)
        return render(request, "accounts/reset_done.html", {"person": person, "password": password})
    return render(request, "accounts/reset_confirm.html", {"person": person})


@login_required
def school_list(request):
    if request.user.role != Role.DISTRICT_ADMIN:
        raise Http404
    schools = selectors.schools_administered_by(request.user)
    return render(request, "accounts/school_list.html", {"schools": schools})


@login_required
def school_detail(request, school_id):
    school = selectors.school_get_for_admin(user=request.user, school_id=school_id)
    homerooms = selectors.homerooms_of_school(school=school)
    return render(
        request, "accounts/school_detail.html", {"school": school, "homerooms": homerooms}
    )


@login_required
def school_people(request, school_id):
    school = selectors.school_get_for_admin(user=request.user, school_id=school_id)
    form = PeopleSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = selectors.school_people_page(school=school, query=query, page=request.GET.get("page"))
    return render(
        request,
        "accounts/school_people.html",
        {"school": school, "form": form, "query": query, "page": page},
    )


def _password_sheet(request, template: str, **context):
    # Printed: people type the login address off paper, so the whole of it.
    context["login_url"] = request.build_absolute_uri(reverse("accounts:login"))
    return render(request, template, context)


@never_cache
@login_required
def homeroom_passwords(request, homeroom_id):
    homeroom = selectors.homeroom_get_for_admin(user=request.user, homeroom_id=homeroom_id)
    lines = selectors.homeroom_password_sheet(homeroom=homeroom)
    return _password_sheet(
        request, "accounts/homeroom_passwords.html", homeroom=homeroom, lines=lines
    )


@never_cache
@login_required
def teacher_passwords(request, school_id):
    school = selectors.school_get_for_admin(user=request.user, school_id=school_id)
    lines = selectors.school_teacher_password_sheet(school=school)
    return _password_sheet(request, "accounts/teacher_passwords.html", school=school, lines=lines)


@login_required
def child_detail(request, student_id):
    child = selectors.child_get_for_parent(parent=request.user, student_id=student_id)
    return render(request, "accounts/child_detail.html", {"child": child})


@sensitive_post_parameters("password1", "password2")
def register(request):
    # Someone who came from a session's "register to book" goes back to it.
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "accounts:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.outside_learner_register(
                phone=data["phone"],
                name=data["name"],
                region=data["region"],
                school_name=data["school_name"],
                grade=data["grade"],
                password=data["password1"],
            )
        except services.PhoneAlreadyRegistered:
            form.add_error(
                "phone",
                _(
                    "This mobile number already has an account. Log in with it, "
                    "or ask your school to reset its password."
                ),
            )
        else:
            login(request, user, backend="eschool.accounts.backends.NumberOrPhoneBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect(next_url or "accounts:home")
    return render(request, "accounts/register.html", {"form": form, "next": next_url})
