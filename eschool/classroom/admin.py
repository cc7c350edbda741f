from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from eschool.classroom.models import Session
from eschool.classroom.services.booking import capacity_problem


class SessionAdminForm(forms.ModelForm):
    """Django's admin writes the row itself: it gets the seat rules of the booking service."""

    class Meta:
        model = Session
        fields = [
            "kind",
            "title",
            "description",
            "stage",
            "grades",
            "subject",
            "teacher",
            "starts_at",
            "ends_at",
            "status",
            "course",
            "capacity",
            "open_to_public",
            "share_code",
            "cancel_reason",
        ]

    def clean(self):
        data = super().clean()
        capacity, kind = data.get("capacity"), data.get("kind")
        if kind:
            problem = capacity_problem(capacity, kind=kind)
            if problem:
                self.add_error("capacity", problem)
            elif capacity is not None and capacity < self.instance.seats_taken:
                self.add_error(
                    "capacity",
                    _("%(count)s seats are already booked; the capacity cannot be lower.")
                    % {"count": self.instance.seats_taken},
                )
        return data


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    list_display = (
        "title",
        "day",
        "starts_at",
        "ends_at",
        "kind",
        "stage",
        "subject",
        "teacher",
        "status",
    )
    list_filter = ("day", "kind", "stage", "status", "subject")
    search_fields = ("title", "teacher__user__name")
    list_select_related = ("subject", "teacher__user")
    date_hierarchy = "starts_at"
    filter_horizontal = ("grades",)
    autocomplete_fields = ("teacher",)
