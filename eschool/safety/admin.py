from django.contrib import admin

from eschool.safety import services
from eschool.safety.models import SensitiveWord


@admin.register(SensitiveWord)
class SensitiveWordAdmin(admin.ModelAdmin):
    # Every change goes through the services, which also tell every process to reload the list.
    list_display = ("word", "added_by", "added_at")
    search_fields = ("word",)
    fields = ("word",)
    list_select_related = ("added_by",)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = services.word_add(actor=request.user, word=obj.word)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.word_remove(actor=request.user, word_id=obj.pk)

    def delete_queryset(self, request, queryset):
        services.words_remove(actor=request.user, word_ids=queryset.values_list("pk", flat=True))
