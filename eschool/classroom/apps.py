from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomConfig(AppConfig):
    name = "eschool.classroom"
    label = "classroom"
    verbose_name = _("Online classroom")

    def ready(self):
        from django.core import signals

        from eschool.classroom import selectors

        # Not business logic: the bounds of a request, for the timetable
        # revision that is read once per request (selectors.timetable_revision).
        signals.request_started.connect(selectors.request_started, dispatch_uid="classroom")
        signals.request_finished.connect(selectors.request_finished, dispatch_uid="classroom")
