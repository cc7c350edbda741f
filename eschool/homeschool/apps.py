from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeschoolConfig(AppConfig):
    name = "eschool.homeschool"
    label = "homeschool"
    verbose_name = _("Home and school")
