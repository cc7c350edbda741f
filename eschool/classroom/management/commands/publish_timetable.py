"""Publish a day's timetable by hand, before the evening task would (idempotent)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from eschool.classroom.selectors import parse_day
from eschool.classroom.services.publication import day_publish_once
from eschool.core import timeutil


class Command(BaseCommand):
    help = "Publish the timetable of a day now (default: tomorrow). Running it twice is harmless."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: tomorrow, Asia/Shanghai)")

    def handle(self, *args, date=None, **options):
        if date:
            day = parse_day(date)
            if day is None:
                raise CommandError(f"Not a date between 2000 and 2100: {date!r} (YYYY-MM-DD).")
        else:
            day = timeutil.today() + dt.timedelta(days=1)
        publication, created = day_publish_once(day=day)
        if created:
            self.stdout.write(f"Published the timetable of {day.isoformat()}.")
        else:
            moment = timeutil.local(publication.published_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                f"The timetable of {day.isoformat()} was already published (at {moment})."
            )
