"""The student's pages: ask, wait (live place in the queue), edit, withdraw, history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eschool.core import timeutil
from eschool.org.models import Subject
from eschool.tutoring import selectors
from eschool.tutoring.forms import AskForm, EditForm
from eschool.tutoring.models import Question
from eschool.tutoring.services import asking
from eschool.tutoring.services.matching import offers_expire
from eschool.tutoring.services.window import window_next
from eschool.tutoring.views import call_service

# The wait page asks for its status this often. Polling (htmx) rather than a
# WebSocket: a waiting student needs one small read every few seconds, which
# works on every phone and network, and the queue's state lives in the database
# anyway; the room itself (helper H's part) is where a socket pays off.
POLL_SECONDS = 4


def _served_subjects():
    ids = asking.served_subject_ids()
    subjects = Subject.objects.all()
    return subjects.filter(pk__in=ids) if ids is not None else subjects


def _window_context():
    at = timeutil.now()
    window = window_next(at)
    return {
        "window": window,
        "window_open": window is not None and window.contains(at),
        "window_today": window is not None and window.day == timeutil.today(at),
    }


@login_required
def home(request):
    """Where the navigation link leads: each person's tutoring page."""
    if selectors.is_tutoring_admin(request.user):
        return redirect("tutoring:board")
    if selectors.teacher_of(request.user) is not None:
        return redirect("tutoring:duty")
    if selectors.may_ask(request.user):
        question = selectors.open_question_of(request.user)
        if question is not None:
            return redirect("tutoring:question", pk=question.pk)
        return redirect("tutoring:ask")
    return redirect("tutoring:history")


@never_cache
@login_required
def ask(request):
    if not selectors.may_ask(request.user):
        raise PermissionDenied
    open_question = selectors.open_question_of(request.user)
    subjects = _served_subjects()
    window = _window_context()
    grouping = _subjects_on_duty(request.user, window["window"])
    if request.method == "POST":
        form = AskForm(request.POST, request.FILES, subjects=subjects, **grouping)
        if form.is_valid():
            mode = (
                asking.Mode.WRITTEN
                if request.POST.get("mode") == asking.Mode.WRITTEN
                else asking.Mode.LIVE
            )
            question = call_service(
                form,
                lambda: asking.question_ask(
                    asker=request.user,
                    subject=form.cleaned_data["subject"],
                    grade=form.cleaned_data["grade"],
                    text=form.cleaned_data["text"],
                    photos=form.cleaned_data["photos"],
                    mode=mode,
                ),
            )
            if question is not None:
                return redirect("tutoring:question", pk=question.pk)
        if request.FILES.getlist("photos"):
            # What was typed comes back in the form; a browser never refills a file input.
            form.add_error(
                "photos", _("Your photos were not kept: choose them again before you send.")
            )
    else:
        form = AskForm(
            subjects=subjects,
            initial={"grade": selectors.profile_grade(request.user)},
            **grouping,
        )
    return render(
        request,
        "tutoring/ask.html",
        {
            "form": form,
            "open_question": open_question,
            "max_photos": asking.MAX_PHOTOS,
            **window,
        },
    )


def _subjects_on_duty(user, window) -> dict:
    """What the ask form needs to put first the subjects served at the next service evening
    for the asker's grade (their band)."""
    if window is None:
        return {}
    today = window.day == timeutil.today()
    return {
        "on_duty": selectors.subjects_on_duty(window.day, selectors.profile_grade(user)),
        "on_duty_label": (
            _("Teachers on duty tonight")
            if today
            else _("Teachers on duty on %(day)s") % {"day": window.day.strftime("%m-%d")}
        ),
    }


def _question_context(request, question: Question) -> dict:
    at = timeutil.now()
    # Offers expire here too (lazily), not only once a minute in the periodic task.
    offers_expire(at)
    asking.queue_open(at)
    question.refresh_from_db()
    info = selectors.wait_info(question, at)
    session = getattr(question, "session", None) if question.status == "in_session" else None
    return {
        "question": question,
        "info": info,
        "session": session,
        "is_asker": request.user.pk == question.asker_id,
        "photos": list(question.photos.all()),
        "poll_seconds": POLL_SECONDS,
        **_window_context(),
    }


@never_cache
@login_required
def question_detail(request, pk: int):
    question = selectors.question_get_for_user(user=request.user, question_id=pk)
    return render(request, "tutoring/question.html", _question_context(request, question))


@never_cache
@login_required
def question_status(request, pk: int):
    """The part of the wait page that htmx refreshes every few seconds."""
    question = selectors.question_get_for_user(user=request.user, question_id=pk)
    context = _question_context(request, question)
    response = render(request, "tutoring/_question_status.html", context)
    if context["session"] is not None and context["is_asker"]:
        # A teacher accepted: htmx follows this header to the room.
        response["HX-Redirect"] = reverse("tutoring:room", args=[context["session"].pk])
    return response


def _own_question(request, pk: int) -> Question:
    question = selectors.question_get_for_user(user=request.user, question_id=pk)
    if question.asker_id != request.user.pk:
        raise Http404
    return question


@never_cache
@login_required
def question_edit(request, pk: int):
    question = _own_question(request, pk)
    if request.method == "POST":
        form = EditForm(request.POST)
        if form.is_valid():
            edited = call_service(
                form,
                lambda: asking.question_edit(
                    actor=request.user, question=question, text=form.cleaned_data["text"]
                ),
            )
            if edited is not None:
                messages.success(request, _("Your question is updated."))
                return redirect("tutoring:question", pk=pk)
    else:
        form = EditForm(initial={"text": question.text})
    return render(request, "tutoring/question_edit.html", {"form": form, "question": question})


@require_POST
@login_required
def question_action(request, pk: int, action: str):
    question = _own_question(request, pk)
    service = {
        "withdraw": asking.question_withdraw,
        "written": asking.question_leave_written,
        "keep": asking.question_keep_waiting,
    }.get(action)
    if service is None:
        raise Http404
    done = call_service(
        None, lambda: service(actor=request.user, question=question), request=request
    )
    if done is not None:
        messages.success(
            request,
            {
                "withdraw": _("Your question is withdrawn."),
                "written": _("A teacher will answer your question in writing."),
                "keep": _("You keep your place in the queue."),
            }[action],
        )
    if action == "withdraw" and done is not None:
        return redirect("tutoring:history")
    return redirect("tutoring:question", pk=pk)


@login_required
def photo(request, pk: int):
    """A question's photo (display size), for those who may see the question."""
    item = selectors.photo_get_for_user(user=request.user, photo_id=pk)
    field = item.original if request.GET.get("original") and item.original else item.image
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=_content_type(field.name))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _content_type(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


@login_required
def history(request):
    """A student's (or a parent's children's) questions, written answers and sessions."""
    questions = selectors.history_for(request.user)
    askers = {question.asker_id for question in questions} | {request.user.pk}
    sessions = selectors.sessions_of_asker(askers)
    return render(
        request,
        "tutoring/history.html",
        {"questions": questions, "sessions": sessions, "may_ask": selectors.may_ask(request.user)},
    )
