"""Strings of Django's own that its Chinese catalogue (Django 5.2) lacks or gets wrong.

Listed here so that `make messages` keeps them in our catalogue, which Django reads
before its own: the admin is in Chinese for district administrators, screen-reader
headings included. Drop a line once Django ships its translation.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_STRINGS = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
    # The suffix of every form label (BaseForm.label_suffix): Django's catalogue keeps the
    # half-width colon, which sits oddly after Chinese (值班日期:); ours gives the full-width one.
    gettext_noop(":"),
]
