"""The district administrator's pages: the live board, coverage, swaps and settings."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eschool.core import timeutil
from eschool.tutoring import selectors
from eschool.tutoring.forms import SettingsForm, SwapDecisionForm
from eschool.tutoring.models import Shift, SwapRequest
from eschool.tutoring.services import asking, matching, shifts
from eschool.tutoring.services.window import window_of_day
from eschool.tutoring.views import call_service
from eschool.tutoring.views.student import POLL_SECONDS

COVERAGE_DAYS = 14


def _admin_required(request) -> None:
    if not selectors.is_tutoring_admin(request.user):
        raise PermissionDenied


def _board_context() -> dict:
    at = timeutil.now()
    matching.offers_expire(at)
    asking.queue_open(at)
    today = timeutil.today(at)
    window = window_of_day(today)
    late_from = (
        window.opens_at + dt.timedelta(minutes=selectors.tutoring_settings().late_after_minutes)
        if window
        else None
    )
    board = selectors.live_board(at)
    return {
        **board,
        "window": window,
        "late": late_from is not None and at >= late_from,
        "poll_seconds": POLL_SECONDS,
        "now": at,
    }


@never_cache
@login_required
def board(request):
    _admin_required(request)
    return render(request, "tutoring/board.html", _board_context())


@never_cache
@login_required
def board_panel(request):
    _admin_required(request)
    return render(request, "tutoring/_board_panel.html", _board_context())


@never_cache
@login_required
def coverage(request):
    _admin_required(request)
    today = timeutil.today()
    days = [
        today + dt.timedelta(days=offset)
        for offset in range(COVERAGE_DAYS)
        if window_of_day(today + dt.timedelta(days=offset)) is not None
    ]
    grid = selectors.coverage(days)
    return render(
        request,
        "tutoring/coverage.html",
        {
            "grid": grid,
            "thin_below": selectors.THIN_COVERAGE,
            "demand_days": selectors.DEMAND_DAYS,
        },
    )


@never_cache
@login_required
def swaps(request):
    _admin_required(request)
    pending = (
        SwapRequest.objects.filter(status=SwapRequest.Status.PENDING)
        .select_related(
            "shift__teacher__user", "shift__band", "proposed__user", "requested_by__user"
        )
        .order_by("shift__day")
    )
    decided = SwapRequest.objects.exclude(status=SwapRequest.Status.PENDING).select_related(
        "shift", "requested_by__user", "substitute__user"
    )[:30]
    pending = list(pending.prefetch_related("shift__subjects"))
    colleagues = selectors.shift_colleagues([swap.shift for swap in pending])
    forms = [
        (
            swap,
            SwapDecisionForm(
                auto_id=f"id_swap{swap.pk}_%s",
                initial={"substitute": swap.proposed},
                colleagues=colleagues[swap.shift_id],
            ),
        )
        for swap in pending
    ]
    return render(request, "tutoring/swaps.html", {"pending": forms, "decided": decided})


@require_POST
@login_required
def swap_decide(request, pk: int):
    _admin_required(request)
    swap = get_object_or_404(SwapRequest.objects.select_related("shift__band"), pk=pk)
    form = SwapDecisionForm(
        request.POST, colleagues=selectors.shift_colleagues([swap.shift])[swap.shift_id]
    )
    approve = request.POST.get("decision") == "approve"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        done = call_service(
            None,
            lambda: shifts.swap_decide(
                actor=request.user,
                swap=swap,
                approve=approve,
                substitute=form.cleaned_data["substitute"],
            ),
            request=request,
        )
        if done is not None:
            messages.success(
                request, _("The swap is approved.") if approve else _("The swap is refused.")
            )
    return redirect("tutoring:swaps")


@never_cache
@login_required
def settings_page(request):
    _admin_required(request)
    row = selectors.tutoring_settings()
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=row)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["subjects"] = list(data["subjects"])
            done = call_service(form, lambda: shifts.settings_update(actor=request.user, **data))
            if done is not None:
                messages.success(request, _("The tutoring settings are saved."))
                return redirect("tutoring:settings")
    else:
        form = SettingsForm(instance=selectors.tutoring_settings())
    return render(request, "tutoring/settings.html", {"form": form})


@login_required
def teachers(request):
    """Every teacher with shifts: links to their service records."""
    _admin_required(request)
    rows = (
        Shift.objects.values("teacher_id", "teacher__user__name")
        .order_by("teacher__user__name")
        .distinct()
    )
    return render(request, "tutoring/teachers.html", {"rows": rows})
