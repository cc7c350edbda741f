from django.core.management.base import BaseCommand

from eschool.org.importing import import_file, result_lines


class Command(BaseCommand):
    help = (
        "Import schools, teachers or students with their parents from an .xlsx or .csv file "
        "(the kind is told by the headers). All or nothing: exit 1 with the row report."
    )
    kinds = {"schools", "teachers", "students"}

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show the counts only."
        )

    def handle(self, *args, **options):
        result = import_file(
            options["file"], actor=None, commit=not options["dry_run"], allowed_kinds=self.kinds
        )
        if not result.ok:
            for line in result_lines(result):
                self.stderr.write(line)
            raise SystemExit(1)
        self.stdout.write(
            f"{result.kind}: {result.rows} rows" + (" (dry run)" if options["dry_run"] else "")
        )
        for line in result_lines(result):
            self.stdout.write(line)
