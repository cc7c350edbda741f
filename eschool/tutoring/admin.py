"""Evening tutoring in the Django admin: for looking things up. Changes go through the pages
(services), so that the rules and notifications hold; settings and grade bands are editable."""

from django.contrib import admin

from eschool.tutoring.models import (
    GradeBand,
    Question,
    Shift,
    SwapRequest,
    TutoringSession,
    TutoringSettings,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TutoringSettings)
class TutoringSettingsAdmin(admin.ModelAdmin):
    filter_horizontal = ["subjects"]


@admin.register(GradeBand)
class GradeBandAdmin(admin.ModelAdmin):
    list_display = ["name", "low", "high", "served"]


@admin.register(Shift)
class ShiftAdmin(ReadOnly):
    list_display = ["day", "teacher", "band", "clocked_in_at", "clocked_out_at", "duty_minutes"]
    list_filter = ["day"]
    list_select_related = ["teacher__user", "band"]


@admin.register(SwapRequest)
class SwapRequestAdmin(ReadOnly):
    list_display = ["shift", "requested_by", "substitute", "status"]
    list_select_related = ["shift__teacher__user", "requested_by__user", "substitute__user"]


@admin.register(Question)
class QuestionAdmin(ReadOnly):
    list_display = ["created_at", "asker", "subject", "grade", "status"]
    list_filter = ["status", "subject"]
    list_select_related = ["asker", "subject", "grade"]


@admin.register(TutoringSession)
class TutoringSessionAdmin(ReadOnly):
    list_display = ["started_at", "teacher", "student", "ended_at", "rating"]
    list_select_related = ["teacher__user", "student"]
