from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TutoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "eschool.tutoring"
    verbose_name = _("Evening tutoring")
