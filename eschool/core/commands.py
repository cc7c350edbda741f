"""What eSchool's management commands share: they speak the site's default language."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


class SiteLanguageCommand(BaseCommand):
    """A command whose output is in settings.LANGUAGE_CODE (Chinese), whatever is active.

    Every line it prints comes from the catalogue, so no line mixes the
    languages; whoever calls it (a shell, a test, code serving an English page)
    gets the same words as the district's office.
    """

    def execute(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            return super().execute(*args, **options)
