"""The Django admin for district administrators (in Chinese by default).

Only is_staff users enter (Django's rule); district administrators are staff and
superusers. Passwords are not typed here: "Reset password" in the people list
gives a new initial password that must be changed at first login.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from eschool.accounts.forms import ThrottledLoginMixin
from eschool.accounts.models import Guardianship, OutsideLearner, Student, Teacher, User

admin.site.site_header = _("eSchool")
admin.site.site_title = _("eSchool")
admin.site.index_title = _("District administration")


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    error_messages = {
        **ThrottledLoginMixin.error_messages,
        "invalid_login": _(
            "The number or the password is not correct, or this account may not use "
            "the administration site."
        ),
    }


# The admin login has the same brute-force throttle as the site's login page.
admin.site.login_form = AdminLoginForm


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "name", "role", "school", "phone")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("username", "name", "phone", "role", "school", "is_active", "is_staff")
    list_filter = ("role", "school", "is_active", "is_staff", "must_change_password")
    search_fields = ("username", "name", "phone")
    list_select_related = ("school",)
    ordering = ("username",)
    autocomplete_fields = ("school",)
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("name", "phone", "role", "school")}),
        (
            _("Access"),
            {
                "fields": (
                    "is_active",
                    "must_change_password",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "name",
                    "role",
                    "school",
                    "phone",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


class GuardianshipInline(admin.TabularInline):
    model = Guardianship
    extra = 0
    autocomplete_fields = ("guardian",)


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ("user", "school", "grade", "homeroom", "gender")
    list_filter = ("school", "grade", "gender")
    search_fields = ("user__username", "user__name")
    list_select_related = ("user", "school", "grade", "homeroom__grade")
    autocomplete_fields = ("user", "school", "homeroom")
    inlines = [GuardianshipInline]


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ("user", "school", "hire_date")
    list_filter = ("school", "subjects", "grades")
    search_fields = ("user__username", "user__name", "user__phone")
    list_select_related = ("user", "school")
    autocomplete_fields = ("user", "school")
    filter_horizontal = ("subjects", "grades")


@admin.register(Guardianship)
class GuardianshipAdmin(admin.ModelAdmin):
    list_display = ("guardian", "student")
    list_filter = ("student__school",)
    search_fields = (
        "guardian__username",
        "guardian__name",
        "guardian__phone",
        "student__user__username",
        "student__user__name",
    )
    list_select_related = ("guardian", "student__user")
    autocomplete_fields = ("guardian", "student")


@admin.register(OutsideLearner)
class OutsideLearnerAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "school_name", "grade")
    list_filter = ("region", "grade")
    search_fields = ("user__username", "user__name", "user__phone", "school_name")
    list_select_related = ("user", "region", "grade")
    autocomplete_fields = ("user",)
