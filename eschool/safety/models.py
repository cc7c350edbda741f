"""The district's sensitive-word list (敏感词)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

WORD_MAX_LENGTH = 50


class SensitiveWord(models.Model):
    """A word or phrase masked wherever people write to each other.

    `word` is stored normalised (see eschool.safety.text.normalise_word): full-width and
    half-width forms, upper and lower case, and spaces or punctuation inside it all match.
    """

    word = models.CharField(_("word"), max_length=WORD_MAX_LENGTH, unique=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("sensitive word")
        verbose_name_plural = _("sensitive words")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word
