"""Asking (提问): questions with photos, editing, withdrawing, written answers (留言),
the opening and closing of the evening, and the retention of original photos."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eschool.core import timeutil
from eschool.core.uploads import bounded_image
from eschool.homeschool.services import notification_send
from eschool.tutoring.models import Offer, Question, QuestionPhoto
from eschool.tutoring.selectors import (
    grade_bands,
    may_ask,
    teacher_of,
    tutoring_settings,
)
from eschool.tutoring.services.matching import dispatch_after
from eschool.tutoring.services.shifts import served_subject_ids
from eschool.tutoring.services.window import window_at, window_next
from eschool.tutoring.texts import clean_text

MAX_PHOTOS = 3
MAX_TEXT = 2000
# Photos are shown at most this wide or high; the original (without its EXIF) is kept a while.
DISPLAY_SIDE = 1280
ORIGINAL_SIDE = 4096


class Mode:
    LIVE = "live"  # a teacher now (or when the shift opens)
    WRITTEN = "written"  # a written answer later (留言)


def _check_text(text: str) -> str:
    """The question as stored: checked, then sensitive words filtered and contacts masked
    (teachers and students meet only through the platform)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write your question.")})
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {"text": _("Keep the question under %(max)s characters.") % {"max": MAX_TEXT}}
        )
    return clean_text(text)


def _check_subject_grade(subject, grade) -> None:
    served = served_subject_ids()
    if served is not None and subject.pk not in served:
        raise ValidationError({"subject": _("Evening tutoring does not serve this subject.")})
    if not any(band.low <= grade.level <= band.high for band in grade_bands()):
        raise ValidationError({"grade": _("Evening tutoring does not serve this grade.")})


def prepare_photos(photos) -> list[tuple]:
    """Check and re-encode photos before anything is stored: [(display, original, w, h)].

    The type comes from the content (an SVG or a page renamed .jpg is refused);
    pictures over the pixel limit are refused with a message; re-encoding drops
    EXIF, including the GPS position.
    """
    photos = [photo for photo in photos if photo]
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most %(max)s photos.") % {"max": MAX_PHOTOS}})
    prepared = []
    for number, upload in enumerate(photos, start=1):
        try:
            display = bounded_image(upload, max_side=DISPLAY_SIDE, name=f"photo{number}")
            original = bounded_image(upload, max_side=ORIGINAL_SIDE, name=f"original{number}")
        except ValidationError as error:
            raise ValidationError(
                {
                    "photos": [
                        _("Photo %(number)s: %(problem)s")
                        % {"number": number, "problem": " ".join(error.messages)}
                    ]
                }
            ) from None
        from PIL import Image

        with Image.open(display) as probe:
            width, height = probe.size
        display.seek(0)
        prepared.append((display, original, width, height))
    return prepared


def question_ask(*, asker, subject, grade, text: str, photos=(), mode: str = Mode.LIVE) -> Question:
    """Ask a question: live (now, or queued to open with tonight's shift) or written.

    Refused (ValidationError) when the asker may not ask, the subject or grade
    is not served, the text is empty or too long, a photo is bad, the asker
    already has an open question (the database's partial unique constraint
    decides, so two tabs cannot make two), or a live question is asked when no
    shift opens later today.
    """
    if not may_ask(asker):
        raise PermissionDenied
    text = _check_text(text)
    _check_subject_grade(subject, grade)
    prepared = prepare_photos(photos)
    at = timeutil.now()
    if mode == Mode.WRITTEN:
        status, waiting_since = Question.Status.WRITTEN, None
    else:
        window = window_next(at)
        if window is not None and window.contains(at):
            status, waiting_since = Question.Status.WAITING, at
        elif window is not None and window.day == timeutil.today(at):
            status, waiting_since = Question.Status.QUEUED, window.opens_at
        else:
            raise ValidationError(
                _(
                    "Tutoring is closed now. Leave your question for a written answer, "
                    "or ask when the next shift opens."
                ),
                code="closed",
            )
    try:
        with transaction.atomic():
            question = Question.objects.create(
                asker=asker,
                subject=subject,
                grade=grade,
                text=text,
                status=status,
                created_at=at,
                waiting_since=waiting_since,
            )
            for position, (display, original, width, height) in enumerate(prepared):
                QuestionPhoto.objects.create(
                    question=question,
                    position=position,
                    image=display,
                    original=original,
                    width=width,
                    height=height,
                )
    except IntegrityError:
        raise ValidationError(
            _("You already have an open question. Wait for it or withdraw it first."),
            code="one_open",
        ) from None
    if status == Question.Status.WAITING:
        dispatch_after()
    return question


def _own(actor, question: Question) -> None:
    if actor.pk != question.asker_id:
        raise PermissionDenied


def question_edit(*, actor, question: Question, text: str, subject=None, grade=None) -> Question:
    """The asker corrects the question while nobody is serving it yet."""
    _own(actor, question)
    text = _check_text(text)
    subject = subject or question.subject
    grade = grade or question.grade
    _check_subject_grade(subject, grade)
    editable = (Question.Status.QUEUED, Question.Status.WAITING, Question.Status.WRITTEN)
    changed = Question.objects.filter(pk=question.pk, status__in=editable).update(
        text=text, subject=subject, grade=grade
    )
    if not changed:
        raise ValidationError(_("A teacher has this question now; it can no longer be changed."))
    question.refresh_from_db()
    return question


def question_withdraw(*, actor, question: Question) -> Question:
    """The asker withdraws a question nobody is serving yet (an offer is taken back)."""
    _own(actor, question)
    at = timeutil.now()
    withdrawable = (
        Question.Status.QUEUED,
        Question.Status.WAITING,
        Question.Status.OFFERED,
        Question.Status.WRITTEN,
    )
    with transaction.atomic():
        changed = Question.objects.filter(pk=question.pk, status__in=withdrawable).update(
            status=Question.Status.WITHDRAWN, offered_to=None, offer_expires_at=None, closed_at=at
        )
        if not changed:
            raise ValidationError(_("A teacher has this question now; end the session instead."))
        offered = Offer.objects.filter(question=question, outcome=Offer.Outcome.PENDING).update(
            outcome=Offer.Outcome.WITHDRAWN, decided_at=at
        )
    if offered:
        dispatch_after()  # the teacher it was offered to is free for another
    question.refresh_from_db()
    return question


def question_leave_written(*, actor, question: Question) -> Question:
    """The asker stops waiting and leaves the question for a written answer (留言)."""
    _own(actor, question)
    at = timeutil.now()
    with transaction.atomic():
        changed = Question.objects.filter(
            pk=question.pk,
            status__in=(Question.Status.QUEUED, Question.Status.WAITING, Question.Status.OFFERED),
        ).update(status=Question.Status.WRITTEN, offered_to=None, offer_expires_at=None)
        if not changed:
            raise ValidationError(_("A teacher has this question now."))
        offered = Offer.objects.filter(question=question, outcome=Offer.Outcome.PENDING).update(
            outcome=Offer.Outcome.WITHDRAWN, decided_at=at
        )
    if offered:
        dispatch_after()
    question.refresh_from_db()
    return question


def question_keep_waiting(*, actor, question: Question) -> Question:
    """The asker, told that no qualified teacher is on duty, chooses to keep waiting."""
    _own(actor, question)
    Question.objects.filter(pk=question.pk, status__in=Question.OPEN).update(keep_waiting=True)
    question.refresh_from_db()
    return question


def question_answer(*, actor, question: Question, answer: str) -> Question:
    """A teacher answers a written question; the asker is notified. First answer wins.
    Sensitive words are filtered and contacts masked, as in the room."""
    teacher = teacher_of(actor)
    if teacher is None:
        raise PermissionDenied
    taught = set(teacher.subjects.values_list("pk", flat=True))
    if taught and question.subject_id not in taught:
        raise PermissionDenied
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer.")})
    if len(answer) > 5000:
        raise ValidationError({"answer": _("Keep the answer under 5,000 characters.")})
    answer = clean_text(answer)
    at = timeutil.now()
    with transaction.atomic():
        answered = Question.objects.filter(pk=question.pk, status=Question.Status.WRITTEN).update(
            status=Question.Status.ANSWERED, answer=answer, answered_by=teacher, answered_at=at
        )
        if not answered:
            raise ValidationError(_("This question was already answered or withdrawn."))
        notification_send(
            user=question.asker,
            key=f"tutoring:answered:{question.pk}",
            title=gettext_noop("A teacher answered your question"),
            params={},
            url=reverse("tutoring:question", args=[question.pk]),
        )
    question.refresh_from_db()
    return question


def queue_open(at: dt.datetime | None = None) -> int:
    """Periodic (and on read): queued questions whose shift has opened join the waiting list."""
    at = at or timeutil.now()
    window = window_at(at)
    if window is None:
        return 0
    # Queued for this window's day, even for a later start: the district may have moved the
    # window since. The wait counts from when the window opened, or from now if the question
    # named a later time (so never from before the window, nor from the future).
    day_after = timeutil.at_local(window.day + dt.timedelta(days=1), dt.time(0))
    opened = Question.objects.filter(
        status=Question.Status.QUEUED, waiting_since__lt=day_after
    ).update(
        status=Question.Status.WAITING,
        waiting_since=Greatest(Least("waiting_since", Value(at)), Value(window.opens_at)),
    )
    if opened:
        from eschool.tutoring.services.matching import dispatch

        dispatch(at)
    return opened


def window_close(at: dt.datetime | None = None) -> int:
    """Periodic: once the window is closed, questions still waiting (or queued for a
    window that has passed) become written questions, and each asker is told once."""
    at = at or timeutil.now()
    if window_at(at) is not None:
        return 0
    left = list(
        Question.objects.filter(
            status__in=(Question.Status.WAITING, Question.Status.OFFERED, Question.Status.QUEUED),
            waiting_since__lte=at,
        ).select_related("asker")
    )
    moved = 0
    for question in left:
        with transaction.atomic():
            changed = Question.objects.filter(
                pk=question.pk,
                status__in=(
                    Question.Status.WAITING,
                    Question.Status.OFFERED,
                    Question.Status.QUEUED,
                ),
            ).update(status=Question.Status.WRITTEN, offered_to=None, offer_expires_at=None)
            if not changed:
                continue
            Offer.objects.filter(question=question, outcome=Offer.Outcome.PENDING).update(
                outcome=Offer.Outcome.EXPIRED, decided_at=at
            )
            notification_send(
                user=question.asker,
                key=f"tutoring:written:{question.pk}",
                title=gettext_noop("Tonight's tutoring has ended"),
                body=gettext_noop(
                    "No teacher was free for your question; a teacher will answer it in writing."
                ),
                params={},
                url=reverse("tutoring:question", args=[question.pk]),
            )
            moved += 1
    return moved


def photos_purge_originals(at: dt.datetime | None = None) -> int:
    """Periodic: delete original photos older than the retention setting (display copies stay)."""
    at = at or timeutil.now()
    days = tutoring_settings().photo_retention_days
    old = QuestionPhoto.objects.filter(
        original_deleted_at__isnull=True,
        question__created_at__lt=at - dt.timedelta(days=days),
    ).exclude(original="")
    count = 0
    for photo in old:
        photo.original.delete(save=False)
        QuestionPhoto.objects.filter(pk=photo.pk).update(original="", original_deleted_at=at)
        count += 1
    return count
