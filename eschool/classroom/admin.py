from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eschool.classroom.models import Session
from eschool.classroom.services import session_watch_changed, timetable_changed
from eschool.core import timeutil

# Written only by their services, which owe the checks, waitlist and notices that go
# with them: the seats on the "Who booked" page, cancelling on "Cancel a session".
SERVICE_FIELDS = ("capacity", "seats_taken", "status", "cancel_reason")


class SessionAdminForm(forms.ModelForm):
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
            "course",
            "open_to_public",
            "share_code",
        ]
        # Shown beside the read-only fields (SessionAdmin.readonly_fields).
        labels = {"seats_taken": _("Seats taken")}
        help_texts = {
            "capacity": _(
                "Change the seats on the session's “Who booked” page: new seats go to the"
                " waitlist there."
            ),
            "seats_taken": _("Counted by the bookings; never changed here."),
            "status": _(
                "Cancel a session on its “Cancel a session” page: everyone who booked is told why."
            ),
            "cancel_reason": _("Given on the “Cancel a session” page."),
        }


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    readonly_fields = (*SERVICE_FIELDS, "service_pages")
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

    @admin.display(description=_("Seats and cancelling"))
    def service_pages(self, session: Session) -> str:
        if session.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("classroom:roster", args=[session.pk]),
            gettext("Who booked"),
            reverse("classroom:session_cancel", args=[session.pk]),
            gettext("Cancel a session"),
        )

    def save_model(self, request, obj: Session, form, change: bool) -> None:
        # The admin's view runs this in a transaction, with the grades saved after it.
        old_day = obj.day
        obj.day = timeutil.local(obj.starts_at).date()
        if change:
            # Only the fields of this form that changed: a booking may have taken a
            # seat since the page was loaded, and its count must not be written back.
            changed = [
                name for name in form.changed_data if not Session._meta.get_field(name).many_to_many
            ]
            obj.save(update_fields=[*changed, "day", "updated_at"])
        else:
            obj.save()
        for day in {old_day, obj.day} - {None}:
            timetable_changed(day)
        session_watch_changed(obj.pk)
