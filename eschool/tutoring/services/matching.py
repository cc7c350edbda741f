"""Matching (派单): offers, accepting, taking from the list, and the end of a session.

Who gets a question is decided by the database, never by a check made first in
Python:
- a question changes hands only through conditional UPDATEs
  (`... WHERE status='waiting'` to offer or take it, `... WHERE status='offered'
  AND offered_to=<teacher>` to accept it), so of many teachers pressing at
  once exactly one changes the row; the one-to-one session.question is the
  second lock;
- the partial unique constraint question_one_offer_per_teacher means a teacher
  never holds two offers: offering to a teacher who got one meanwhile fails and
  the dispatcher moves on;
- a teacher's own accepts queue up on their shift row (select_for_update on
  PostgreSQL; SQLite's IMMEDIATE transactions serialise every writer), so the
  session limit holds.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eschool.accounts.models import Teacher
from eschool.core import timeutil
from eschool.homeschool.models import Notification
from eschool.homeschool.services import notification_send, notifications_mark_read
from eschool.tutoring.models import Offer, Question, Shift, TutoringSession
from eschool.tutoring.selectors import (
    is_tutoring_admin,
    session_question,
    sessions_open,
    teacher_of,
    tutoring_settings,
)
from eschool.tutoring.texts import clean_text

# A teacher who declined a question (or let the offer pass) is not offered it again for
# this long: others get their turn first, and nobody is left waiting for ever.
REOFFER_AFTER = dt.timedelta(minutes=5)
# Tries per free teacher when other dispatchers take the questions it picked first.
RETRIES = 5


class OfferGone(ValidationError):
    """The question is no longer offered to (or waiting for) this teacher."""


def _active_sessions(at: dt.datetime):
    return Coalesce(
        Subquery(
            sessions_open(at)
            .filter(teacher=OuterRef("teacher"))
            .values("teacher")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def _free_shifts(at: dt.datetime):
    """Online shifts whose teacher holds no offer and has room for another session."""
    return (
        Shift.objects.filter(
            day=timeutil.today(at), clocked_in_at__isnull=False, clocked_out_at__isnull=True
        )
        .annotate(
            active=_active_sessions(at),
            has_offer=Exists(
                Question.objects.filter(
                    offered_to=OuterRef("teacher"), status=Question.Status.OFFERED
                )
            ),
        )
        .filter(has_offer=False)
    )


def _offer(question_id: int, teacher_id: int, at: dt.datetime, seconds: int) -> bool:
    """Offer a waiting question to a teacher: one conditional UPDATE. False when the question
    is no longer waiting; IntegrityError when the teacher got another offer meanwhile."""
    with transaction.atomic():
        taken = Question.objects.filter(pk=question_id, status=Question.Status.WAITING).update(
            status=Question.Status.OFFERED,
            offered_to=teacher_id,
            offer_expires_at=at + dt.timedelta(seconds=seconds),
        )
        if taken:
            Offer.objects.create(question_id=question_id, teacher_id=teacher_id, offered_at=at)
        return bool(taken)


def _oldest_for(shift: Shift, at: dt.datetime) -> int | None:
    """The id of the oldest waiting question `shift` covers that was not put to its teacher
    in the last REOFFER_AFTER."""
    return (
        Question.objects.filter(
            status=Question.Status.WAITING,
            waiting_since__lte=at,
            subject_id__in=[subject.pk for subject in shift.subjects.all()],
            grade__level__gte=shift.band.low,
            grade__level__lte=shift.band.high,
        )
        .exclude(
            pk__in=Offer.objects.filter(
                teacher_id=shift.teacher_id, offered_at__gt=at - REOFFER_AFTER
            ).values("question_id")
        )
        .order_by("waiting_since", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def dispatch(at: dt.datetime | None = None) -> int:
    """Expire old offers, then offer each free teacher (the one idle longest first) the
    oldest waiting question they are qualified for and did not just decline.

    Returns the number of offers made. A few queries per free teacher, whatever the
    length of the queue. Safe to run from several places at once: a question another
    dispatcher offered meanwhile is skipped for the next one, and a teacher who got an
    offer meanwhile is left alone (the unique constraint says so).
    """
    at = at or timeutil.now()
    offers_expire(at, redispatch=False)
    free = [
        shift
        for shift in _free_shifts(at)
        .select_related("band")
        .prefetch_related("subjects")
        .order_by("idle_since", "pk")
        if shift.active < shift.session_limit
    ]
    if not free:
        return 0
    seconds = tutoring_settings().offer_seconds
    made = 0
    for shift in free:
        for _attempt in range(RETRIES):
            question_id = _oldest_for(shift, at)
            if question_id is None:
                break
            try:
                if _offer(question_id, shift.teacher_id, at, seconds):
                    made += 1
                    break
            except IntegrityError:
                break  # another dispatcher gave this teacher an offer meanwhile
    return made


def dispatch_after() -> None:
    """Offer what waits, once the caller's own transaction is over (services call it after
    their atomic block, so the offers see committed state and a failure there cannot undo
    the caller's change)."""
    dispatch()


def dispatch_on_commit() -> None:
    """Offer what waits once the transaction around the caller commits: for services whose
    atomic block holds more than matching's writes (the room's end and transfer write their
    notices in it). A failure while dispatching is logged and undoes nothing; the tick and
    the polling pages dispatch again."""
    transaction.on_commit(dispatch, robust=True)


def offers_expire(at: dt.datetime | None = None, *, redispatch: bool = True) -> int:
    """Offers past their time go back to the waiting list (and on to the next teacher)."""
    at = at or timeutil.now()
    expired = list(
        Question.objects.filter(
            status=Question.Status.OFFERED, offer_expires_at__lte=at
        ).values_list("pk", "offered_to")
    )
    count = 0
    for question_id, teacher_id in expired:
        with transaction.atomic():
            back = Question.objects.filter(
                pk=question_id,
                status=Question.Status.OFFERED,
                offered_to=teacher_id,
                offer_expires_at__lte=at,
            ).update(status=Question.Status.WAITING, offered_to=None, offer_expires_at=None)
            if back:
                Offer.objects.filter(
                    question_id=question_id, teacher_id=teacher_id, outcome=Offer.Outcome.PENDING
                ).update(outcome=Offer.Outcome.EXPIRED, decided_at=at)
                count += 1
    if count and redispatch:
        dispatch(at)
    return count


def offer_release_for_teacher(*, teacher_id: int, at: dt.datetime) -> None:
    """A teacher going offline gives back the offer they hold."""
    for question_id in Question.objects.filter(
        status=Question.Status.OFFERED, offered_to_id=teacher_id
    ).values_list("pk", flat=True):
        back = Question.objects.filter(
            pk=question_id, status=Question.Status.OFFERED, offered_to_id=teacher_id
        ).update(status=Question.Status.WAITING, offered_to=None, offer_expires_at=None)
        if back:
            Offer.objects.filter(
                question_id=question_id, teacher_id=teacher_id, outcome=Offer.Outcome.PENDING
            ).update(outcome=Offer.Outcome.WITHDRAWN, decided_at=at)


def _teacher_required(actor) -> Teacher:
    teacher = teacher_of(actor)
    if teacher is None:
        raise PermissionDenied
    return teacher


def _lock_free_shift(teacher: Teacher, at: dt.datetime) -> Shift:
    """Tonight's online shift of `teacher`, locked, with room for one more session."""
    shift = (
        Shift.objects.select_for_update()
        .filter(
            teacher=teacher,
            day=timeutil.today(at),
            clocked_in_at__isnull=False,
            clocked_out_at__isnull=True,
        )
        .first()
    )
    if shift is None:
        raise ValidationError(_("Go online for your shift first."))
    active = sessions_open(at).filter(teacher=teacher).count()
    if active >= shift.session_limit:
        raise ValidationError(_("End your current session first."))
    return shift


def _start_session(question: Question, teacher: Teacher, at: dt.datetime) -> TutoringSession:
    session = TutoringSession.objects.create(
        question=question, teacher=teacher, student_id=question.asker_id, started_at=at
    )
    transaction.on_commit(lambda: _announce_start(session))
    return session


def _announce_start(session: TutoringSession) -> None:
    # The room's first notice; imported here because the room calls these services.
    from eschool.tutoring import room

    room.session_started(session)


def offer_accept(*, actor, question: Question) -> TutoringSession:
    """The teacher accepts the question offered to them; the new session.

    Raises OfferGone when the offer expired, was withdrawn or went to someone else.
    """
    teacher = _teacher_required(actor)
    at = timeutil.now()
    offers_expire(at)
    with transaction.atomic():
        _lock_free_shift(teacher, at)
        won = Question.objects.filter(
            pk=question.pk,
            status=Question.Status.OFFERED,
            offered_to=teacher,
            offer_expires_at__gt=at,
        ).update(
            status=Question.Status.IN_SESSION, matched_at=at, offered_to=None, offer_expires_at=None
        )
        if not won:
            raise OfferGone(_("This question is no longer offered to you."))
        Offer.objects.filter(
            question=question, teacher=teacher, outcome=Offer.Outcome.PENDING
        ).update(outcome=Offer.Outcome.ACCEPTED, decided_at=at)
        question.refresh_from_db()
        return _start_session(question, teacher, at)


def question_take(*, actor, question: Question) -> TutoringSession:
    """A teacher on duty takes a question from the waiting list themselves.

    Of many teachers taking the same question at once exactly one gets it; the
    others get OfferGone.
    """
    teacher = _teacher_required(actor)
    at = timeutil.now()
    with transaction.atomic():
        shift = _lock_free_shift(teacher, at)
        level = question.grade.level
        covers = (
            shift.band.low <= level <= shift.band.high
            and shift.subjects.filter(pk=question.subject_id).exists()
        )
        if not covers:
            raise ValidationError(_("This question is outside your subjects and grades tonight."))
        won = Question.objects.filter(pk=question.pk, status=Question.Status.WAITING).update(
            status=Question.Status.IN_SESSION, matched_at=at, offered_to=None, offer_expires_at=None
        )
        if not won:
            raise OfferGone(_("Another teacher took this question, or it is no longer waiting."))
        Offer.objects.create(
            question=question,
            teacher=teacher,
            offered_at=at,
            outcome=Offer.Outcome.ACCEPTED,
            decided_at=at,
        )
        # An offer the teacher held for another question goes to the next teacher.
        offer_release_for_teacher(teacher_id=teacher.pk, at=at)
        question.refresh_from_db()
        session = _start_session(question, teacher, at)
    dispatch_after()
    return session


def offer_decline(*, actor, question: Question) -> str | None:
    """The teacher declines the offer; the question goes to the next qualified teacher who
    is free, or waits for one. Returns the question's status after that ("offered": another
    teacher has it now, "waiting": nobody free covers it), None when the offer was no longer
    the teacher's, so that what the teacher is told is true."""
    teacher = _teacher_required(actor)
    at = timeutil.now()
    with transaction.atomic():
        back = Question.objects.filter(
            pk=question.pk, status=Question.Status.OFFERED, offered_to=teacher
        ).update(status=Question.Status.WAITING, offered_to=None, offer_expires_at=None)
        if back:
            Offer.objects.filter(
                question=question, teacher=teacher, outcome=Offer.Outcome.PENDING
            ).update(outcome=Offer.Outcome.DECLINED, decided_at=at)
    if not back:
        return None
    dispatch_after()
    return Question.objects.filter(pk=question.pk).values_list("status", flat=True).first()


# Sessions -------------------------------------------------------------------------


def _is_party(actor, session: TutoringSession) -> bool:
    return actor.pk == session.student_id or actor.pk == session.teacher.user_id


def _free_again(teacher_id: int, at: dt.datetime) -> None:
    """The teacher's session is over: idle from `at`, so they queue for the next offer."""
    Shift.objects.filter(
        teacher_id=teacher_id, day=timeutil.today(at), clocked_out_at__isnull=True
    ).update(idle_since=at)


def session_end_writes(
    *, actor, session: TutoringSession, at: dt.datetime, ended_at: dt.datetime | None = None
) -> bool:
    """The writes of ending `session`, inside the caller's transaction; True when this call
    ended it, False when it had ended already.

    The question is closed, the teacher is free again (idle from `at`) and the student is
    asked to rate the session. `ended_at` (default `at`) is when the session counts as
    over, for its minutes. `actor` None is the evening's end. The caller offers what waits
    after commit (dispatch_after, or dispatch_on_commit inside a larger transaction).
    """
    ended_at = ended_at or at
    ended = TutoringSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=ended_at, ended_by=actor
    )
    if not ended:
        return False
    Question.objects.filter(session=session, status=Question.Status.IN_SESSION).update(
        status=Question.Status.CLOSED, closed_at=ended_at
    )
    _free_again(session.teacher_id, at)
    notification_send(
        user=session.student,
        key=f"tutoring:rate:{session.pk}",
        title=gettext_noop("How was your tutoring session? Rate it"),
        params={},
        url=reverse("tutoring:room_rate", args=[session.pk]),
    )
    return True


def session_end(*, actor, session: TutoringSession) -> TutoringSession:
    """Either side (or an administrator) ends the session; ending twice is harmless.

    The question is closed, the teacher is free again (idle from now) and the
    student is asked to rate the session.
    """
    if not (_is_party(actor, session) or is_tutoring_admin(actor)):
        raise PermissionDenied
    with transaction.atomic():
        ended = session_end_writes(actor=actor, session=session, at=timeutil.now())
    if ended:
        dispatch_after()
    session.refresh_from_db()
    return session


def _clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationError({"comment": _("Keep the comment under 1,000 characters.")})
    return clean_text(comment)


def session_rate(*, actor, session: TutoringSession, rating: int, comment: str = ""):
    """The student rates an ended session once: 1–5 and an optional comment (sensitive
    words filtered and contacts masked, as in the room)."""
    if actor.pk != session.student_id:
        raise PermissionDenied
    if session.ended_at is None:
        raise ValidationError(_("Rate the session after it ends."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose from 1 to 5 stars.")})
    comment = _clean_comment(comment)
    rated = TutoringSession.objects.filter(pk=session.pk, rating__isnull=True).update(
        rating=rating, comment=comment, rated_at=timeutil.now()
    )
    if not rated:
        raise ValidationError(_("You already rated this session."))
    # The request to rate is done with: it no longer waits among the unread.
    notifications_mark_read(
        user=actor,
        ids=Notification.objects.filter(user=actor, key=f"tutoring:rate:{session.pk}").values("pk"),
    )
    session.refresh_from_db()
    return session


def _may_transfer(actor, session: TutoringSession) -> None:
    if not (actor.pk == session.teacher.user_id or is_tutoring_admin(actor)):
        raise PermissionDenied


def session_transfer_writes(
    *, actor, session: TutoringSession, to_teacher: Teacher, at: dt.datetime
) -> TutoringSession:
    """The writes of a transfer, inside the caller's transaction; the new session.

    Refused (ValidationError) when `to_teacher` is the session's own teacher, is not
    online with room for a session, or the session has ended. The caller offers what
    waits after commit (the old teacher is free again).
    """
    if to_teacher.pk == session.teacher_id:
        raise ValidationError(_("Choose another teacher."))
    _lock_free_shift(to_teacher, at)
    ended = TutoringSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=at, ended_by=actor
    )
    if not ended:
        raise ValidationError(_("This session has ended."))
    question = session_question(session)
    TutoringSession.objects.filter(pk=session.pk).update(question=None)
    new = TutoringSession.objects.create(
        question=question,
        teacher=to_teacher,
        student_id=session.student_id,
        started_at=at,
        transferred_from=session,
    )
    _free_again(session.teacher_id, at)
    notification_send(
        user=to_teacher.user,
        key=f"tutoring:transfer:{new.pk}",
        title=gettext_noop("A tutoring session was transferred to you"),
        params={},
        url=reverse("tutoring:room", args=[new.pk]),
    )
    return new


def session_transfer(*, actor, session: TutoringSession, to_teacher: Teacher) -> TutoringSession:
    """The teacher hands the session to another teacher on duty; the new session.

    The old session ends (ended_by the teacher) and keeps its messages; the
    question moves to the new session, whose `transferred_from` is the old one,
    so the room can show the history.
    """
    _may_transfer(actor, session)
    with transaction.atomic():
        new = session_transfer_writes(
            actor=actor, session=session, to_teacher=to_teacher, at=timeutil.now()
        )
    dispatch_after()
    session.refresh_from_db()
    return new
