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
    error = models.TextField(_("error"), blank=True)
    source_name = models.CharField(_("file name"), max_length=255, blank=True)
    # The uploaded file waiting to be packaged, relative to ESCHOOL_PRIVATE_ROOT/uploads;
    # emptied once the job is done and the file deleted.
    upload_path = models.CharField(max_length=255, blank=True, editable=False)
    # Relative to MEDIA_ROOT, e.g. replays/<session>/<recording>/master.m3u8.
    hls_path = models.CharField(_("playlist path"), max_length=255, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
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
