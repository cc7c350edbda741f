from eschool.homeschool.models import Notification


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(user, *, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user=user)[:limit])
