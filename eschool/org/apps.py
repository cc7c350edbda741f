from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "eschool.org"
    label = "org"
