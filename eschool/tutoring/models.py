"""Evening tutoring (在线伴读): the district's window, shifts, questions and 1-on-1 sessions.

Models are thin; every rule is in services/. The races that matter (one teacher
per question, one offer per teacher, one open question per student) are closed
by the constraints below, which hold on SQLite and PostgreSQL alike.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eschool.accounts.models import Teacher
from eschool.core.uploads import private_storage
from eschool.org.models import Grade, Subject


class TutoringSettings(models.Model):
    """The district's one row of settings (pk 1), created with its defaults on first read."""

    window_start = models.TimeField(_("service starts"), default=dt.time(19, 30))
    window_end = models.TimeField(_("service ends"), default=dt.time(21, 30))
    # ISO weekday numbers (Monday 1 … Sunday 7), comma separated: "1,2,3,4,5,6" is Mon–Sat.
    weekdays = models.CharField(_("days of service"), max_length=20, default="1,2,3,4,5,6")
    holidays_off = models.BooleanField(
        _("no service on days without classes (timetable day notices)"), default=True
    )
    # Empty means every subject is served.
    subjects = models.ManyToManyField(
        Subject, blank=True, related_name="+", verbose_name=_("subjects served")
    )
    outside_learners_allowed = models.BooleanField(
        _("outside learners may ask questions"), default=False
    )
    offer_seconds = models.PositiveSmallIntegerField(_("seconds to accept an offer"), default=30)
    default_session_limit = models.PositiveSmallIntegerField(
        _("sessions a teacher takes at once"), default=1
    )
    late_after_minutes = models.PositiveSmallIntegerField(
        _("minutes after the start a teacher counts as late"), default=5
    )
    photo_retention_days = models.PositiveSmallIntegerField(
        _("days original photos are kept"), default=30
    )

    class Meta:
        verbose_name = _("tutoring settings")
        verbose_name_plural = _("tutoring settings")

    def __str__(self):
        return str(_("Tutoring settings"))

    @property
    def weekday_numbers(self) -> set[int]:
        return {int(part) for part in self.weekdays.split(",") if part.strip()}


class GradeBand(models.Model):
    """A range of grades a teacher on duty covers, e.g. 初中 (grades 7–9)."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    low = models.SmallIntegerField(_("lowest grade level"))
    high = models.SmallIntegerField(_("highest grade level"))
    served = models.BooleanField(_("served"), default=True)

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["low", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(low__lte=models.F("high")), name="gradeband_order")
        ]

    def __str__(self):
        # The name is Chinese data (初中), like a grade's; English pages show its translation
        # (the default bands are marked in selectors.DEFAULT_BANDS). A band a district named
        # itself shows as written.
        return gettext(self.name)

    def covers(self, grade: Grade) -> bool:
        return self.low <= grade.level <= self.high


class Shift(models.Model):
    """A teacher's evening on duty (值班): one per teacher per evening."""

    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="tutoring_shifts", verbose_name=_("teacher")
    )
    day = models.DateField(_("date"))
    subjects = models.ManyToManyField(Subject, related_name="+", verbose_name=_("subjects"))
    band = models.ForeignKey(GradeBand, on_delete=models.PROTECT, verbose_name=_("grade band"))
    session_limit = models.PositiveSmallIntegerField(_("sessions at once"), default=1)
    clocked_in_at = models.DateTimeField(_("went online"), null=True, blank=True)
    clocked_out_at = models.DateTimeField(_("went offline"), null=True, blank=True)
    # Minutes online, added up at each clock-out (a teacher may go online twice).
    duty_minutes = models.PositiveIntegerField(_("minutes on duty"), default=0)
    # When the teacher last became free; the one free longest is offered first.
    idle_since = models.DateTimeField(null=True, blank=True)
    late_minutes = models.PositiveIntegerField(_("minutes late"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["day", "teacher_id"]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "day"], name="shift_one_per_teacher_day")
        ]

    def __str__(self):
        return f"{self.day} {self.teacher}"

    @property
    def is_online(self) -> bool:
        return self.clocked_in_at is not None and self.clocked_out_at is None


class SwapRequest(models.Model):
    """A teacher asks to be relieved of a shift; an administrator names the substitute."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="swap_requests", verbose_name=_("shift")
    )
    requested_by = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="+", verbose_name=_("asked by")
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # A colleague the teacher proposes; the administrator may choose another.
    proposed = models.ForeignKey(
        Teacher,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed substitute"),
    )
    substitute = models.ForeignKey(
        Teacher,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("substitute"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("swap request")
        verbose_name_plural = _("swap requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift"], condition=Q(status="pending"), name="swap_one_pending_per_shift"
            )
        ]

    def __str__(self):
        return f"{self.shift} ({self.get_status_display()})"


class Question(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued for the next shift")
        WAITING = "waiting", _("Waiting for a teacher")
        OFFERED = "offered", _("Offered to a teacher")
        IN_SESSION = "in_session", _("In a session")
        WRITTEN = "written", _("Waiting for a written answer")
        ANSWERED = "answered", _("Answered")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CLOSED = "closed", _("Closed")

    # A student has at most one question in these states (see the constraint).
    OPEN = (Status.QUEUED, Status.WAITING, Status.OFFERED, Status.IN_SESSION)

    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tutoring_questions",
        verbose_name=_("asked by"),
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, verbose_name=_("subject"))
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, verbose_name=_("grade"))
    text = models.TextField(_("question"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.WAITING
    )
    created_at = models.DateTimeField(_("asked at"))
    # When the question joined the live queue (the opening of the shift for a queued one).
    waiting_since = models.DateTimeField(null=True, blank=True)
    offered_to = models.ForeignKey(
        Teacher, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    # The student was told no qualified teacher is on duty and chose to keep waiting.
    keep_waiting = models.BooleanField(default=False)
    answer = models.TextField(_("written answer"), blank=True)
    answered_by = models.ForeignKey(
        Teacher, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asker"],
                condition=Q(status__in=["queued", "waiting", "offered", "in_session"]),
                name="question_one_open_per_asker",
            ),
            models.UniqueConstraint(
                fields=["offered_to"],
                condition=Q(status="offered"),
                name="question_one_offer_per_teacher",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered")
                | (Q(offered_to__isnull=False) & Q(offer_expires_at__isnull=False)),
                name="question_offer_has_teacher",
            ),
        ]
        indexes = [models.Index(fields=["status", "waiting_since"])]

    def __str__(self):
        return f"{self.subject} · {self.text[:30]}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


def _photo_path(instance, filename):
    return f"tutoring/questions/{instance.question_id}/{filename}"


class QuestionPhoto(models.Model):
    """A photo attached to a question: a display copy (resized, no EXIF) and, for a while,
    the original (also without EXIF) for a closer look during the session."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=0)
    image = models.FileField(storage=private_storage, upload_to=_photo_path, max_length=200)
    original = models.FileField(
        storage=private_storage, upload_to=_photo_path, max_length=200, blank=True
    )
    original_deleted_at = models.DateTimeField(null=True, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question photo")
        verbose_name_plural = _("question photos")
        ordering = ["question", "position", "id"]

    def __str__(self):
        return f"{self.question_id}#{self.position}"


class Offer(models.Model):
    """Each time a question was put to a teacher, and what came of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="offers")
    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="+")
    offered_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["offered_at", "id"]

    def __str__(self):
        return f"{self.question_id} → {self.teacher_id} ({self.outcome})"


class TutoringSession(models.Model):
    """A live 1-on-1 session between the asker and a teacher.

    `question` points at the session now serving the question: when a session is
    transferred, the question moves to the new session (the old one keeps its
    messages and `student`), and the new session's `transferred_from` links back.
    """

    question = models.OneToOneField(
        Question,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="session",
        verbose_name=_("question"),
    )
    teacher = models.ForeignKey(
        Teacher,
        on_delete=models.PROTECT,
        related_name="tutoring_sessions",
        verbose_name=_("teacher"),
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tutoring_sessions",
        verbose_name=_("student"),
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    rated_at = models.DateTimeField(null=True, blank=True)
    transferred_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transferred_to",
        verbose_name=_("transferred from"),
    )

    class Meta:
        verbose_name = _("tutoring session")
        verbose_name_plural = _("tutoring sessions")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="tutoringsession_rating_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["teacher", "ended_at"])]

    def __str__(self):
        return f"{self.student} ↔ {self.teacher} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def seconds(self) -> int:
        """How long the session lasted, in whole seconds (0 while it goes on)."""
        if self.ended_at is None:
            return 0
        return max(0, int((self.ended_at - self.started_at).total_seconds()))

    @property
    def minutes(self) -> int:
        """The length to the nearest minute (half up): a 1½-minute session is 2, not 0."""
        return minutes_rounded(self.seconds)


def minutes_rounded(seconds: float) -> int:
    """`seconds` to the nearest minute, half up (90 s is 2 min, 89 s is 1)."""
    return int(seconds // 60 + (1 if seconds % 60 >= 30 else 0))


def _room_photo_path(instance, filename):
    return f"tutoring/rooms/{instance.session_id}/{filename}"


class RoomMessage(models.Model):
    """One thing said or drawn in a session's room, in the order the server stored it.

    `seq` numbers a session's messages 1, 2, 3… with no gaps: a client that saw up to
    N asks for what came after N. `client_id` is the sender's own id for the message,
    so a message sent again after a dropped connection is stored once.
    """

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        PHOTO = "photo", _("Photo")
        STROKE = "stroke", _("Stroke")
        UNDO = "undo", _("Undo")
        CLEAR = "clear", _("Clear the board")
        SYSTEM = "system", _("Notice")

    session = models.ForeignKey(
        TutoringSession, on_delete=models.CASCADE, related_name="room_messages"
    )
    seq = models.PositiveIntegerField()
    # None for the room's own notices (started, ended, transferred).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    client_id = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.JSONField(default=dict, blank=True)
    photo = models.FileField(
        storage=private_storage, upload_to=_room_photo_path, max_length=200, blank=True
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("room message")
        verbose_name_plural = _("room messages")
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="roommessage_seq_unique"),
            models.UniqueConstraint(
                fields=["session", "author", "client_id"],
                condition=~Q(client_id=""),
                name="roommessage_client_id_unique",
            ),
        ]

    def __str__(self):
        return f"{self.session_id}#{self.seq} {self.kind}"
