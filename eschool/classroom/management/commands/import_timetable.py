from django.utils.translation import gettext as _

from eschool.org.management.commands.import_people import Command as ImportCommand


class Command(ImportCommand):
    help = (
        "Import the daily timetable from an .xlsx or .csv file. "
        "All or nothing: exit 1 with the row report."
    )
    kinds = {"timetable"}

    def wrong_kind(self, path):
        return _(
            "%(path)s is a list of schools, teachers or students, not a timetable: "
            "import it with manage.py import_people."
        ) % {"path": path}
