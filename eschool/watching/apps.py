from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchingConfig(AppConfig):
    name = "eschool.watching"
    label = "watching"
    verbose_name = _("Watch time and attendance")
