"""Watch time: the sections a viewer watched of a session, live or as a replay.

Heartbeats are not stored one by one: the endpoint appends them to a buffer and a
periodic job folds them into one WatchSection row per (viewer, session, mode,
section). See README.md for the rules.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    LIVE = "live", _("Live")
    REPLAY = "replay", _("Replay")


class WatchSection(models.Model):
    """One stretch of continuous playing: it starts when playing starts or after a seek.

    `seconds` is what counts as watched (how far the position got, capped by the time
    that passed); `start_s` and `end_s` are the positions in the video.
    """

    Mode = Mode

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watch_sections",
        verbose_name=_("viewer"),
    )
    session = models.ForeignKey(
        "classroom.Session",
        on_delete=models.CASCADE,
        related_name="watch_sections",
        verbose_name=_("session"),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    # Made by the player, new at every start and seek.
    section = models.CharField(max_length=32)
    start_s = models.FloatField(_("from (seconds)"))
    end_s = models.FloatField(_("to (seconds)"))
    seconds = models.FloatField(_("watched (seconds)"), default=0.0)
    # The player's clock (ms) at the first and the latest heartbeat folded in: the cap on
    # watched seconds runs on it (see folding.py).
    first_at = models.BigIntegerField()
    last_at = models.BigIntegerField()
    # The server's clock (ms since the epoch) when the section was first and last heard of.
    first_seen = models.BigIntegerField()
    last_seen = models.BigIntegerField()

    class Meta:
        verbose_name = _("watched section")
        verbose_name_plural = _("watched sections")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "session", "mode", "section"], name="watch_section_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=["live", "replay"]), name="watch_section_mode"
            ),
        ]
        indexes = [
            models.Index(fields=["session", "mode"], name="watch_section_session"),
            # The fold finds stored sections by their (random, per-player) ids.
            models.Index(fields=["section"], name="watch_section_section"),
        ]

    def __str__(self):
        return f"{self.user_id}/{self.session_id}/{self.mode}/{self.section}"


class HeartbeatBatch(models.Model):
    """A received batch waiting to be folded, on the embedded default (no Redis).

    With REDIS_URL set, batches wait in a Redis list instead and this table stays empty.
    """

    payload = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("heartbeat batch")
        verbose_name_plural = _("heartbeat batches")

    def __str__(self):
        return f"batch {self.pk}"
