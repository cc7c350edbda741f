from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "eschool.accounts"
    label = "accounts"
