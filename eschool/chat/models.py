"""Live chat and questions beside a session's video, and the mutes moderators give."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    class Kind(models.TextChoices):
        CHAT = "chat", _("Chat")
        QUESTION = "question", _("Question")

    session = models.ForeignKey(
        "classroom.Session",
        on_delete=models.CASCADE,
        related_name="chat_messages",
        verbose_name=_("session"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_messages",
        verbose_name=_("author"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CHAT)
    # As shown: sensitive words and contact details already masked.
    text = models.TextField(_("text"))
    # The sender's own id for the message, so a message re-sent after a dropped
    # connection is stored once.
    client_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("sent at"))
    # Where the message falls in the broadcast's replay (seconds of media recorded before it;
    # the gaps between parts are not in the replay), to show it beside the replay at the
    # right time; None when the session had not gone live.
    offset_seconds = models.FloatField(_("seconds into the broadcast"), null=True, blank=True)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    answered = models.BooleanField(_("answered"), default=False)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=~Q(client_id=""),
                name="chat_message_once_per_client_id",
            )
        ]
        indexes = [models.Index(fields=["session", "id"], name="chat_msg_session_id")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.pk}: {self.text[:30]}"


class Mute(models.Model):
    """A user may not write in one session's chat (or in every chat) until `until`."""

    session = models.ForeignKey(
        "classroom.Session",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_mutes",
        verbose_name=_("session"),
        help_text=_("Empty: muted in every session's chat."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_mutes",
        verbose_name=_("user"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("muted by"),
    )
    created_at = models.DateTimeField(_("muted at"))
    until = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("mute")
        verbose_name_plural = _("mutes")
        indexes = [models.Index(fields=["user", "until"], name="chat_mute_user_until")]

    def __str__(self) -> str:
        return f"{self.user_id} until {self.until:%Y-%m-%d %H:%M}"
