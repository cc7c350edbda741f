"""Publish a day's timetable by hand, before the evening task would (idempotent)."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from eschool.classroom.selectors import parse_day
from eschool.classroom.services.publication import day_publish_once
from eschool.core import timeutil
from eschool.core.commands import SiteLanguageCommand


class Command(SiteLanguageCommand):
    help = "Publish the timetable of a day now (default: tomorrow). Running it twice is harmless."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: tomorrow, Asia/Shanghai)")

    def handle(self, *args, date=None, **options):
        if date:
            day = parse_day(date)
            if day is None:
                raise CommandError(
                    _("Not a date between 2000 and 2100: %(value)s (YYYY-MM-DD).")
                    % {"value": repr(date)}
                )
        else:
            day = timeutil.today() + dt.timedelta(days=1)
        publication, created = day_publish_once(day=day)
        if created:
            self.stdout.write(_("Published the timetable of %(day)s.") % {"day": day.isoformat()})
        else:
            moment = timeutil.local(publication.published_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                _("The timetable of %(day)s was already published (at %(time)s).")
                % {"day": day.isoformat(), "time": moment}
            )
