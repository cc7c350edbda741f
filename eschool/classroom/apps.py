from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "eschool.classroom"
    label = "classroom"
