"""Shifts (值班): settings, sign-up, swaps, clocking in and out, lateness."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eschool.accounts.models import Role, Teacher, User
from eschool.core import timeutil
from eschool.homeschool.services import notification_send
from eschool.tutoring.models import GradeBand, Shift, SwapRequest, TutoringSettings
from eschool.tutoring.selectors import (
    is_tutoring_admin,
    sessions_open,
    teacher_qualifies,
    tutoring_settings,
)
from eschool.tutoring.services.window import window_of_day

# A teacher may go online this long before the window opens, to be ready.
EARLY_CLOCK_IN = dt.timedelta(minutes=15)
# Evenings ahead a teacher may sign up for.
SIGN_UP_DAYS = 60


def _require_admin(actor) -> None:
    if not is_tutoring_admin(actor):
        raise PermissionDenied


def _teacher_of(user) -> Teacher:
    teacher = getattr(user, "teacher", None) if user.is_authenticated else None
    if teacher is None:
        raise PermissionDenied
    return teacher


def settings_update(*, actor, **fields) -> TutoringSettings:
    """Change the district's tutoring settings; `subjects` (a list) replaces the served
    subjects (none: every subject), `bands` (a list) the served grade bands (at least one)."""
    _require_admin(actor)
    row = tutoring_settings()
    subjects = fields.pop("subjects", None)
    bands = fields.pop("bands", None)
    if bands is not None and not bands:
        raise ValidationError({"bands": _("Choose at least one grade band.")})
    if "window_start" in fields or "window_end" in fields:
        start = fields.get("window_start", row.window_start)
        end = fields.get("window_end", row.window_end)
        if end <= start:
            raise ValidationError(
                {"window_end": _("The service must end after it starts, on the same evening.")}
            )
    for name, value in fields.items():
        setattr(row, name, value)
    with transaction.atomic():
        row.save()
        if subjects is not None:
            row.subjects.set(subjects)
        if bands is not None:
            served = [band.pk for band in bands]
            GradeBand.objects.filter(pk__in=served).update(served=True)
            GradeBand.objects.exclude(pk__in=served).update(served=False)
    return row


def served_subject_ids(settings_row=None) -> set[int] | None:
    """The ids of the subjects served, or None when every subject is."""
    settings_row = settings_row or tutoring_settings()
    ids = set(settings_row.subjects.values_list("pk", flat=True))
    return ids or None


def shift_sign_up(*, actor, day: dt.date, subjects, band: GradeBand) -> Shift:
    """Sign `actor` (a teacher) up for the evening of `day`, for `subjects` and `band`.

    Refused (ValidationError) for a past day, a day without service, a band or
    subject the district does not serve, a subject the teacher does not teach
    (when their profile lists subjects) or a second shift the same evening.
    """
    teacher = _teacher_of(actor)
    today = timeutil.today()
    subjects = list(subjects)
    settings_row = tutoring_settings()
    if day < today:
        raise ValidationError({"day": _("That evening has passed.")})
    if day > today + dt.timedelta(days=SIGN_UP_DAYS):
        raise ValidationError(
            {"day": _("Sign up at most %(days)s days ahead.") % {"days": SIGN_UP_DAYS}}
        )
    if window_of_day(day, settings_row=settings_row) is None:
        raise ValidationError({"day": _("There is no tutoring on that day.")})
    if not subjects:
        raise ValidationError({"subjects": _("Choose at least one subject.")})
    served = served_subject_ids(settings_row)
    if served is not None and any(subject.pk not in served for subject in subjects):
        raise ValidationError({"subjects": _("Choose only subjects the district serves.")})
    taught = set(teacher.subjects.values_list("pk", flat=True))
    if taught and any(subject.pk not in taught for subject in subjects):
        raise ValidationError({"subjects": _("Choose only subjects you teach.")})
    if not band.served:
        raise ValidationError({"band": _("The district does not serve that grade band.")})
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                teacher=teacher,
                day=day,
                band=band,
                session_limit=settings_row.default_session_limit,
            )
            shift.subjects.set(subjects)
    except IntegrityError:
        raise ValidationError({"day": _("You are already on duty that evening.")}) from None
    return shift


def shift_cancel(*, actor, shift: Shift) -> None:
    """A teacher takes back a sign-up for a later evening (not today: ask for a swap)."""
    if _teacher_of(actor).pk != shift.teacher_id:
        raise PermissionDenied
    if shift.day <= timeutil.today():
        raise ValidationError(_("On the evening itself, ask for a swap instead."))
    shift.delete()


def _qualified_for(teacher: Teacher, shift: Shift) -> bool:
    subject_ids = shift.subjects.values_list("pk", flat=True)
    return teacher_qualifies(teacher, subject_ids, shift.band)


def swap_request(*, actor, shift: Shift, reason: str = "", proposed: Teacher | None = None):
    """The shift's teacher asks to be relieved; an administrator approves a substitute."""
    teacher = _teacher_of(actor)
    if teacher.pk != shift.teacher_id:
        raise PermissionDenied
    if shift.day < timeutil.today():
        raise ValidationError(_("That evening has passed."))
    if proposed is not None and proposed.pk == teacher.pk:
        raise ValidationError({"proposed": _("Propose a colleague, not yourself.")})
    if proposed is not None and not _qualified_for(proposed, shift):
        raise ValidationError(
            {"proposed": _("That colleague does not teach the subjects and grades of this shift.")}
        )
    try:
        with transaction.atomic():
            swap = SwapRequest.objects.create(
                shift=shift, requested_by=teacher, reason=reason.strip()[:300], proposed=proposed
            )
            for admin in _admins():
                notification_send(
                    user=admin,
                    key=f"tutoring:swap:{swap.pk}",
                    title=gettext_noop("Swap requested: %(teacher)s on %(day)s"),
                    params={"teacher": teacher.user.name, "day": shift.day.isoformat()},
                    url=reverse("tutoring:swaps"),
                )
    except IntegrityError:
        raise ValidationError(_("You already asked for a swap of this evening.")) from None
    return swap


def swap_decide(*, actor, swap: SwapRequest, approve: bool, substitute: Teacher | None = None):
    """Approve (with `substitute` taking the shift) or refuse a pending swap request."""
    _require_admin(actor)
    at = timeutil.now()
    with transaction.atomic():
        swap = SwapRequest.objects.select_for_update().select_related("shift").get(pk=swap.pk)
        if swap.status != SwapRequest.Status.PENDING:
            raise ValidationError(_("This request was already decided."))
        shift = swap.shift
        if approve:
            substitute = substitute or swap.proposed
            if substitute is None:
                raise ValidationError({"substitute": _("Choose the substitute.")})
            if substitute.pk == shift.teacher_id:
                raise ValidationError({"substitute": _("Choose another teacher.")})
            if not _qualified_for(substitute, shift):
                raise ValidationError(
                    {
                        "substitute": _(
                            "That teacher does not teach the subjects and grades of this shift."
                        )
                    }
                )
            if shift.clocked_in_at is not None:
                raise ValidationError(_("The teacher is already online for this shift."))
            if Shift.objects.filter(teacher=substitute, day=shift.day).exists():
                raise ValidationError(
                    {"substitute": _("That teacher is already on duty that evening.")}
                )
            Shift.objects.filter(pk=shift.pk).update(teacher=substitute)
            swap.substitute = substitute
            swap.status = SwapRequest.Status.APPROVED
        else:
            swap.status = SwapRequest.Status.REFUSED
        swap.decided_by = actor
        swap.decided_at = at
        swap.save(update_fields=["substitute", "status", "decided_by", "decided_at"])
        notification_send(
            user=swap.requested_by.user,
            key=f"tutoring:swap:{swap.pk}:decided",
            title=(
                gettext_noop("Your swap for %(day)s is approved")
                if approve
                else gettext_noop("Your swap for %(day)s is refused")
            ),
            params={"day": shift.day.isoformat()},
            url=reverse("tutoring:duty"),
        )
        if approve:
            notification_send(
                user=substitute.user,
                key=f"tutoring:swap:{swap.pk}:substitute",
                title=gettext_noop("You are on tutoring duty on %(day)s"),
                params={"day": shift.day.isoformat()},
                url=reverse("tutoring:duty"),
            )
    return swap


def shift_clock_in(*, actor, shift: Shift) -> Shift:
    """The teacher goes online (上线) for tonight's shift; lateness is recorded once."""
    if _teacher_of(actor).pk != shift.teacher_id:
        raise PermissionDenied
    at = timeutil.now()
    settings_row = tutoring_settings()
    window = window_of_day(shift.day, settings_row=settings_row)
    if window is None or not (window.opens_at - EARLY_CLOCK_IN <= at < window.closes_at):
        raise ValidationError(
            _("You can go online from 15 minutes before your shift until it ends.")
        )
    late_minutes = max(0, int((at - window.opens_at).total_seconds() // 60))
    late = late_minutes > settings_row.late_after_minutes
    with transaction.atomic():
        changed = Shift.objects.filter(pk=shift.pk).exclude(
            clocked_in_at__isnull=False, clocked_out_at__isnull=True
        )
        updated = changed.update(clocked_in_at=at, clocked_out_at=None, idle_since=at)
        if updated:
            # Only the first time online counts for lateness.
            Shift.objects.filter(pk=shift.pk, late_minutes__isnull=True).update(
                late_minutes=late_minutes if late else 0
            )
    if updated:
        from eschool.tutoring.services.matching import dispatch_after

        dispatch_after()
    shift.refresh_from_db()
    return shift


def shift_clock_out(*, actor, shift: Shift, at: dt.datetime | None = None) -> Shift:
    """The teacher goes offline (下线); the minutes online are added to the shift.

    Refused while the teacher is in a session; an offer waiting for them goes to the next.
    """
    if actor is not None and _teacher_of(actor).pk != shift.teacher_id:
        raise PermissionDenied
    at = at or timeutil.now()
    with transaction.atomic():
        shift = Shift.objects.select_for_update().get(pk=shift.pk)
        if not shift.is_online:
            return shift
        if actor is not None and sessions_open(at).filter(teacher_id=shift.teacher_id).exists():
            raise ValidationError(_("End your session before going offline."))
        minutes = max(0, int((at - shift.clocked_in_at).total_seconds() // 60))
        Shift.objects.filter(pk=shift.pk).update(
            clocked_out_at=at, idle_since=None, duty_minutes=F("duty_minutes") + minutes
        )
        from eschool.tutoring.services.matching import offer_release_for_teacher

        offer_release_for_teacher(teacher_id=shift.teacher_id, at=at)
    from eschool.tutoring.services.matching import dispatch_after

    dispatch_after()
    shift.refresh_from_db()
    return shift


def _admins():
    return User.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True)


def shifts_check(at: dt.datetime | None = None) -> dict:
    """Periodic: flag late and missing teachers to the administrators, and clock everyone
    out when the window ends (so duty minutes stop at the end of the service).

    Idempotent: each flag is a notification keyed by the shift.
    """
    at = at or timeutil.now()
    day = timeutil.today(at)
    settings_row = tutoring_settings()
    window = window_of_day(day, settings_row=settings_row)
    flagged = {"late": 0, "missing": 0, "clocked_out": 0}
    if window is None:
        return flagged
    late_from = window.opens_at + dt.timedelta(minutes=settings_row.late_after_minutes)
    if at < late_from:
        return flagged
    admins = list(_admins())
    absent = Shift.objects.filter(day=day, clocked_in_at__isnull=True).select_related(
        "teacher__user"
    )
    kind = "missing" if at >= window.closes_at else "late"
    for shift in absent:
        for admin in admins:
            sent = notification_send(
                user=admin,
                key=f"tutoring:{kind}:shift:{shift.pk}",
                title=(
                    gettext_noop("Missing from tutoring duty: %(teacher)s")
                    if kind == "missing"
                    else gettext_noop("Not yet online for tutoring duty: %(teacher)s")
                ),
                params={"teacher": shift.teacher.user.name},
                url=reverse("tutoring:board"),
            )
            flagged[kind] += int(sent)
    if at >= window.closes_at:
        for shift in Shift.objects.filter(
            day=day, clocked_in_at__isnull=False, clocked_out_at__isnull=True
        ):
            shift_clock_out(actor=None, shift=shift, at=window.closes_at)
            flagged["clocked_out"] += 1
    return flagged
