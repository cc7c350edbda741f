import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eschool.accounts.models import Teacher
from eschool.core.uploads import private_storage
from eschool.org.models import Grade, Stage, Subject


class Kind(models.TextChoices):
    CLASS = "class", _("Class")
    LECTURE = "lecture", _("Lecture")
    PARENTING = "parenting", _("Parenting course")
    EVENT = "event", _("District event")


def new_share_code() -> str:
    # 8 URL-safe characters: short enough to type from a poster, 2^48 to guess.
    return secrets.token_urlsafe(6)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class Speaker(models.Model):
    """A lecturer of the lecture series: a renowned teacher or an invited professor."""

    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True)  # 教授, 特级教师 …
    institution = models.CharField(_("institution"), max_length=100, blank=True)
    photo = models.ImageField(_("photo"), upload_to="speakers/", blank=True)
    bio = models.TextField(_("short biography"), blank=True)
    # Set when the speaker is one of the district's own teachers.
    teacher = models.OneToOneField(
        Teacher, on_delete=models.SET_NULL, null=True, blank=True, related_name="speaker"
    )

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Course(models.Model):
    """What sessions belong to: a group class, a lecture series, a parenting course or an event.

    A lecture series is a course of kind "lecture" whose sessions are its episodes.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CLASS)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    cover = models.ImageField(_("cover image"), upload_to="covers/", blank=True)
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("subject")
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, blank=True)
    grades = models.ManyToManyField(Grade, blank=True, verbose_name=_("grades"))
    speakers = models.ManyToManyField(Speaker, blank=True, verbose_name=_("speakers"))
    share_code = models.CharField(max_length=16, unique=True, default=new_share_code)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-created_at", "id"]

    def __str__(self):
        return self.title


class Material(models.Model):
    """A file of a course (PDF, slides, images) for those who booked or after the session."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="materials", verbose_name=_("course")
    )
    title = models.CharField(_("title"), max_length=200)
    # Outside MEDIA_ROOT (which the web server serves to anyone): handed out by
    # classroom:material, which checks who may download it.
    file = models.FileField(_("file"), upload_to="materials/%Y/%m/", storage=private_storage)
    # Detected from the file's content, never from its name.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.title


class Session(models.Model):
    """One class, lecture, parenting course or district event on the daily timetable (课次)."""

    Kind = Kind

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
    course = models.ForeignKey(
        Course,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("course"),
    )
    # None: unlimited seats (and no booking needed to watch, e.g. a district event).
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    # Confirmed bookings. Changed only by a conditional UPDATE in the booking
    # service, which is what keeps it from passing `capacity` under concurrency.
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    # Outside learners (partner regions and the public) may book and watch.
    open_to_public = models.BooleanField(_("open to outside learners"), default=False)
    share_code = models.CharField(max_length=16, unique=True, default=new_share_code)
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
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True)
                | models.Q(seats_taken__lte=models.F("capacity")),
                name="session_seats_within_capacity",
            ),
        ]

    def __str__(self):
        return self.title


class Booking(models.Model):
    """A learner's seat in a session (预约), or their place on its waitlist.

    The learner is a student, an outside learner, or a parent for a parenting
    course. One row per (learner, session): booking again after cancelling
    reuses it.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Booked")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("session")
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bookings",
        verbose_name=_("learner"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    # Waitlist order: first come, first promoted.
    queued_at = models.DateTimeField(_("booked at"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(fields=["learner", "session"], name="booking_one_per_learner")
        ]
        indexes = [models.Index(fields=["session", "status", "queued_at"])]

    def __str__(self):
        return f"{self.learner} → {self.session}"


class DayPublication(models.Model):
    """The day's timetable was made public: by the evening task or early by hand."""

    day = models.DateField(_("date"), unique=True)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-day"]

    def __str__(self):
        return self.day.isoformat()


class DayNotice(models.Model):
    """An all-day notice on the timetable: a holiday or an exam day without classes."""

    day = models.DateField(_("date"), db_index=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    no_classes = models.BooleanField(_("no classes this day"), default=True)

    class Meta:
        verbose_name = _("day notice")
        verbose_name_plural = _("day notices")
        ordering = ["day", "id"]

    def __str__(self):
        return f"{self.day} {self.title}"


class CalendarFeed(models.Model):
    """A person's private iCalendar address; a new token revokes the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
