from django.utils.functional import SimpleLazyObject

from eschool.homeschool.selectors import unread_count


def notifications(request):
    """`unread_notifications` for the header: one query when a page uses it, none for visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
