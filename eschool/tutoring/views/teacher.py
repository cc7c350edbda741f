"""The teacher's pages: tonight's duty (online/offline, offers, the waiting list),
shift sign-up and swaps, written questions, and the service record."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eschool.accounts.models import Teacher
from eschool.core import timeutil
from eschool.tutoring import selectors
from eschool.tutoring.forms import AnswerForm, ShiftForm, SwapForm
from eschool.tutoring.models import Question, Shift, TutoringSession
from eschool.tutoring.services import asking, matching, shifts
from eschool.tutoring.services.window import window_of_day
from eschool.tutoring.views import call_service
from eschool.tutoring.views.student import POLL_SECONDS


def _teacher(request) -> Teacher:
    teacher = selectors.teacher_of(request.user)
    if teacher is None:
        raise PermissionDenied
    return teacher


def _duty_context(teacher: Teacher) -> dict:
    at = timeutil.now()
    # Lazily, on every read: an offer past its 30 s is gone before the page says so.
    matching.offers_expire(at)
    asking.queue_open(at)
    today = timeutil.today(at)
    shift = (
        Shift.objects.filter(teacher=teacher, day=today)
        .select_related("band")
        .prefetch_related("subjects")
        .first()
    )
    offer = (
        Question.objects.filter(status=Question.Status.OFFERED, offered_to=teacher)
        .select_related("subject", "grade")
        .prefetch_related("photos")
        .first()
    )
    waiting = []
    if shift is not None:
        waiting = list(
            Question.objects.filter(
                status=Question.Status.WAITING,
                subject__in=shift.subjects.all(),
                grade__level__gte=shift.band.low,
                grade__level__lte=shift.band.high,
            )
            .select_related("subject", "grade")
            .order_by("waiting_since", "pk")[:30]
        )
        for question in waiting:
            question.wait = at - question.waiting_since
    return {
        "teacher": teacher,
        "shift": shift,
        "window": window_of_day(today),
        "offer": offer,
        "offer_seconds_left": (
            max(0, int((offer.offer_expires_at - at).total_seconds())) if offer else 0
        ),
        "waiting": waiting,
        "sessions": selectors.sessions_open(at)
        .filter(teacher=teacher)
        .select_related("student", "question__subject")
        .order_by("started_at"),
        "poll_seconds": POLL_SECONDS,
    }


@never_cache
@login_required
def duty(request):
    teacher = _teacher(request)
    today = timeutil.today()
    context = _duty_context(teacher)
    context["upcoming"] = (
        Shift.objects.filter(teacher=teacher, day__gt=today)
        .select_related("band")
        .prefetch_related("subjects", "swap_requests")
        .order_by("day")[:20]
    )
    context["written_count"] = _written_for(teacher).count()
    return render(request, "tutoring/duty.html", context)


@never_cache
@login_required
def duty_panel(request):
    """The live part of the duty page (offer, waiting list, sessions), polled by htmx."""
    return render(request, "tutoring/_duty_panel.html", _duty_context(_teacher(request)))


def _tonight(teacher: Teacher) -> Shift:
    shift = Shift.objects.filter(teacher=teacher, day=timeutil.today()).first()
    if shift is None:
        raise Http404
    return shift


@require_POST
@login_required
def clock(request, direction: str):
    teacher = _teacher(request)
    shift = _tonight(teacher)
    service = {"in": shifts.shift_clock_in, "out": shifts.shift_clock_out}.get(direction)
    if service is None:
        raise Http404
    if call_service(None, lambda: service(actor=request.user, shift=shift), request=request):
        messages.success(
            request, _("You are online.") if direction == "in" else _("You are offline.")
        )
    return redirect("tutoring:duty")


@require_POST
@login_required
def offer_action(request, pk: int, action: str):
    _teacher(request)
    question = get_object_or_404(Question.objects.select_related("grade"), pk=pk)
    if action == "accept":
        session = call_service(
            None,
            lambda: matching.offer_accept(actor=request.user, question=question),
            request=request,
        )
    elif action == "take":
        session = call_service(
            None,
            lambda: matching.question_take(actor=request.user, question=question),
            request=request,
        )
    elif action == "decline":
        status = matching.offer_decline(actor=request.user, question=question)
        if status == Question.Status.OFFERED:
            messages.info(request, _("The question is offered to another teacher."))
        elif status == Question.Status.WAITING:
            messages.info(
                request,
                _("No other teacher for it is free now: it waits for the next free teacher."),
            )
        else:
            messages.info(request, _("This question is no longer offered to you."))
        return redirect("tutoring:duty")
    else:
        raise Http404
    if session is not None:
        return redirect("tutoring:room", pk=session.pk)
    return redirect("tutoring:duty")


@never_cache
@login_required
def shift_list(request):
    """Sign up for evenings; see one's shifts and ask for swaps."""
    teacher = _teacher(request)
    served = asking.served_subject_ids()
    subjects = teacher.subjects.all() if teacher.subjects.exists() else None
    if subjects is None:
        from eschool.org.models import Subject

        subjects = Subject.objects.all()
    if served is not None:
        subjects = subjects.filter(pk__in=served)
    selectors.grade_bands()
    if request.method == "POST":
        form = ShiftForm(request.POST, subjects=subjects)
        if form.is_valid():
            shift = call_service(
                form,
                lambda: shifts.shift_sign_up(
                    actor=request.user,
                    day=form.cleaned_data["day"],
                    subjects=form.cleaned_data["subjects"],
                    band=form.cleaned_data["band"],
                ),
            )
            if shift is not None:
                messages.success(request, _("You are signed up for that evening."))
                return redirect("tutoring:shifts")
    else:
        form = ShiftForm(subjects=subjects, initial={"day": timeutil.today()})
    mine = list(
        Shift.objects.filter(teacher=teacher, day__gte=timeutil.today() - dt.timedelta(days=7))
        .select_related("band")
        .prefetch_related("subjects", "swap_requests")
        .order_by("day")
    )
    coming = [shift for shift in mine if shift.day >= timeutil.today()]
    colleagues = selectors.shift_colleagues(coming)
    for shift in coming:
        # One swap form per shift, with its own ids: repeated ids tie every label to the
        # first shift's fields and leave the others unlabelled. Each offers the colleagues
        # qualified for its own subjects and band (read once for all the forms).
        shift.swap_form = SwapForm(auto_id=f"id_swap{shift.pk}_%s", colleagues=colleagues[shift.pk])
    return render(
        request,
        "tutoring/shifts.html",
        {"form": form, "shifts": mine, "today": timeutil.today()},
    )


@require_POST
@login_required
def shift_swap(request, pk: int):
    teacher = _teacher(request)
    shift = get_object_or_404(Shift.objects.select_related("band"), pk=pk, teacher=teacher)
    form = SwapForm(request.POST, colleagues=selectors.shift_colleagues([shift])[shift.pk])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        swap = call_service(
            None,
            lambda: shifts.swap_request(
                actor=request.user,
                shift=shift,
                reason=form.cleaned_data["reason"],
                proposed=form.cleaned_data["proposed"],
            ),
            request=request,
        )
        if swap is not None:
            messages.success(request, _("Your swap request is sent to the administrator."))
    return redirect("tutoring:shifts")


@require_POST
@login_required
def shift_cancel(request, pk: int):
    teacher = _teacher(request)
    shift = get_object_or_404(Shift, pk=pk, teacher=teacher)
    if call_service(
        None, lambda: shifts.shift_cancel(actor=request.user, shift=shift) or True, request=request
    ):
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect("tutoring:shifts")


def _written_for(teacher: Teacher):
    written = Question.objects.filter(status=Question.Status.WRITTEN)
    taught = teacher.subjects.all()
    if taught.exists():
        written = written.filter(subject__in=taught)
    return written


@never_cache
@login_required
def written_list(request):
    teacher = _teacher(request)
    questions = (
        _written_for(teacher)
        .select_related("subject", "grade")
        .prefetch_related("photos")
        .order_by("created_at")[:100]
    )
    return render(request, "tutoring/written.html", {"questions": questions})


@never_cache
@login_required
def answer(request, pk: int):
    _teacher(request)
    question = selectors.question_get_for_user(user=request.user, question_id=pk)
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            answered = call_service(
                form,
                lambda: asking.question_answer(
                    actor=request.user, question=question, answer=form.cleaned_data["answer"]
                ),
            )
            if answered is not None:
                messages.success(request, _("Your answer is sent."))
                return redirect("tutoring:written")
    else:
        form = AnswerForm()
    return render(
        request,
        "tutoring/answer.html",
        {"form": form, "question": question, "photos": question.photos.all()},
    )


@login_required
def record(request, pk: int | None = None):
    """A teacher's tutoring service record: their own, or any teacher's for an administrator."""
    if pk is None:
        teacher = _teacher(request)
    else:
        if not selectors.is_tutoring_admin(request.user):
            own = selectors.teacher_of(request.user)
            if own is None or own.pk != pk:
                raise Http404
        teacher = get_object_or_404(Teacher.objects.select_related("user"), pk=pk)
    sessions = (
        TutoringSession.objects.filter(teacher=teacher)
        .select_related("student", "question__subject")
        .order_by("-started_at")[:50]
    )
    at = timeutil.now()
    served = list(
        Shift.objects.filter(teacher=teacher, day__lte=timeutil.today(at)).order_by("-day")[:30]
    )
    for shift in served:
        shift.minutes_now = selectors.duty_minutes_now(shift, at)
    upcoming = Shift.objects.filter(teacher=teacher, day__gt=timeutil.today(at)).order_by("day")
    return render(
        request,
        "tutoring/record.html",
        {
            "teacher": teacher,
            "record": selectors.teacher_record(teacher, at),
            "sessions": sessions,
            "shifts": served,
            "upcoming": upcoming.select_related("band").prefetch_related("subjects")[:30],
        },
    )
