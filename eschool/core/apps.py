from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "eschool.core"
    label = "core"
