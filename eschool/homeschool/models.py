from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message in a person's notification centre (通知).

    `key` names the event it announces (e.g. "reminder:42", the reminder of
    session 42); the unique (user, key) pair is what makes "never sent twice"
    hold under retries and concurrent workers.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    key = models.CharField(max_length=120)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # When set, `title` and `body` are English message templates (marked with
    # gettext_noop where they are written) shown in each reader's language with
    # these values filled in; when None they are plain text.
    params = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_event")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.shown_title

    def _shown(self, text: str) -> str:
        if self.params is None or not text:
            return text
        return gettext(text) % self.params

    @property
    def shown_title(self) -> str:
        return self._shown(self.title)

    @property
    def shown_body(self) -> str:
        return self._shown(self.body)
