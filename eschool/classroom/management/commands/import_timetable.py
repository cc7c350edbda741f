from eschool.org.management.commands.import_people import Command as ImportCommand


class Command(ImportCommand):
    help = (
        "Import the daily timetable from an .xlsx or .csv file. "
        "All or nothing: exit 1 with the row report."
    )
    kinds = {"timetable"}
