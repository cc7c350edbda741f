"""The notification centre (通知)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from eschool.homeschool import selectors, services


@never_cache
@require_GET
@login_required
def notification_list(request):
    """Newest first; unread ones stand out until "mark all read"."""
    return render(
        request,
        "homeschool/notifications.html",
        {"notifications": selectors.notifications_of(request.user)},
    )


@never_cache
@require_POST
@login_required
def notifications_read(request):
    services.notifications_mark_read(user=request.user)
    return redirect("homeschool:notifications")
