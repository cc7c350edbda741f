from django.contrib import admin

from eschool.classroom.models import Session


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
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
