"""Recordings: an uploaded lesson or a finished broadcast, packaged to HLS as a session's replay."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Recording(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", _("Uploaded recording")
        LIVE = "live", _("Recorded broadcast")

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    session = models.ForeignKey(
        "classroom.Session",
        on_delete=models.CASCADE,
        related_name="recordings",
        verbose_name=_("session"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.UPLOAD)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROCESSING
    )
    progress = models.FloatField(_("progress"), default=0.0)  # 0..1
    # Packaging runs started: a job killed mid-way is queued again, a few times at most.
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    error = models.TextField(_("error"), blank=True)
    source_name = models.CharField(_("file name"), max_length=255, blank=True)
    # The uploaded file waiting to be packaged, relative to ESCHOOL_PRIVATE_ROOT/uploads;
    # emptied once the job is done and the file deleted.
    upload_path = models.CharField(max_length=255, blank=True, editable=False)
    # Relative to MEDIA_ROOT, e.g. replays/<session>/<recording>-<random>/master.m3u8.
    hls_path = models.CharField(_("playlist path"), max_length=255, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    # When it became the session's replay: a finished upload or broadcast, or the teacher
    # choosing it on the upload page. The replay is the ready recording with the latest such
    # moment (rows from before this field count from created_at); the others are kept.
    replay_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["session", "status"], name="live_rec_session_status")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.pk} ({self.status})"

    @property
    def error_message(self) -> str:
        """The failure in the reader's language (stored as the English msgid)."""
        return gettext(self.error) if self.error else ""


def new_stream_key() -> str:
    import secrets

    return secrets.token_urlsafe(18)


class Broadcast(models.Model):
    """A session's live broadcast: one per session, however often the teacher reconnects.

    Its playlist (MEDIA_ROOT/live/<session>-<random>/index.m3u8) is an EVENT playlist while
    live; when the broadcast ends it is closed with #EXT-X-ENDLIST (and declared VOD) and the
    same URL is the replay, recorded as a Recording of kind LIVE.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Not started")
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")

    class Source(models.TextChoices):
        BROWSER = "browser", _("Browser")
        RTMP = "rtmp", _("OBS (RTMP)")

    session = models.OneToOneField(
        "classroom.Session",
        on_delete=models.CASCADE,
        related_name="broadcast",
        verbose_name=_("session"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.WAITING
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, blank=True)
    # The secret an OBS user types as the stream key; the teacher can renew it.
    stream_key = models.CharField(max_length=32, unique=True, default=new_stream_key)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The replay skips the gaps between a teacher's 结束直播 and the next start (the playlist
    # goes on with a discontinuity), so a time in the replay is the media recorded before the
    # current part plus the time since this part began, not the time since `started_at`.
    part_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    recorded_before_part = models.FloatField(default=0.0, editable=False)  # seconds; all once ended
    # When media last arrived; a LIVE broadcast silent for too long is closed by recovery.
    last_media_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Live, but its playlist has no segment yet (the first comes 2-3 s after Start): viewers
    # are told it is about to start, and nobody is handed the playlist, which is not there.
    awaiting_first_segment = models.BooleanField(default=False, editable=False)
    # Relative to MEDIA_ROOT, e.g. live/<session>-<random>/index.m3u8 (the random part keeps
    # the URL from being guessed); chosen once, kept across reconnects.
    hls_path = models.CharField(_("playlist path"), max_length=255, blank=True)
    recording = models.OneToOneField(
        Recording,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="broadcast",
        verbose_name=_("replay"),
    )

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        indexes = [models.Index(fields=["status", "last_media_at"], name="live_bc_status_media")]

    def __str__(self) -> str:
        return f"{self.session_id} ({self.status})"


class Chapter(models.Model):
    """A title the teacher puts at a time in a replay; viewers click it to jump there.

    Belongs to the recording (not the session) because its times only mean something in that
    video: a new upload starts with no chapters.
    """

    recording = models.ForeignKey(
        Recording,
        on_delete=models.CASCADE,
        related_name="chapters",
        verbose_name=_("replay"),
    )
    at_seconds = models.PositiveIntegerField(_("time (seconds)"))
    title = models.CharField(_("title"), max_length=120)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["recording", "at_seconds", "pk"]

    def __str__(self) -> str:
        return f"{self.at_seconds}s {self.title}"
