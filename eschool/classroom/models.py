from django.db import models
from django.utils.translation import gettext_lazy as _

from eschool.accounts.models import Teacher
from eschool.org.models import Grade, Stage, Subject


class Session(models.Model):
    """One class, lecture, parenting course or district event on the daily timetable (课次)."""

    class Kind(models.TextChoices):
        CLASS = "class", _("Class")
        LECTURE = "lecture", _("Lecture")
        PARENTING = "parenting", _("Parenting course")
        EVENT = "event", _("District event")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CLASS)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    grades = models.ManyToManyField(Grade, verbose_name=_("grades"), related_name="sessions")
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("subject")
    )
    teacher = models.ForeignKey(
        Teacher,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("teacher"),
    )
    # Stored in UTC. `day` is the Asia/Shanghai date of `starts_at`, kept so that
    # "the timetable of a day" is an indexed equality whatever the database.
    day = models.DateField(_("date"), db_index=True, editable=False)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            ),
            # A teacher gives one session at a time; it is also how a re-imported
            # timetable finds the session it already created.
            models.UniqueConstraint(
                fields=["teacher", "starts_at"], name="session_unique_teacher_start"
            ),
        ]

    def __str__(self):
        return self.title
