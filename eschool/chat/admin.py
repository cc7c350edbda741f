from django.contrib import admin

from eschool.chat.models import Message, Mute


class ReadOnlyAdmin(admin.ModelAdmin):
    # For review: moderation goes through the services, which tell every open chat.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "session", "author", "kind", "text", "hidden_at", "pinned")
    list_filter = ("kind", "pinned", "answered")
    search_fields = ("text", "author__name", "author__username")
    list_select_related = ("session", "author")
    raw_id_fields = ("session", "author", "hidden_by")


@admin.register(Mute)
class MuteAdmin(ReadOnlyAdmin):
    list_display = ("user", "session", "by", "created_at", "until")
    list_select_related = ("user", "session", "by")
    raw_id_fields = ("session", "user", "by")
