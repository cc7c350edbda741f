from django.utils.translation import ngettext

from eschool.core.commands import SiteLanguageCommand
from eschool.org.importing import import_file, result_lines
from eschool.org.importing.framework import FILE_KIND_NAMES


class Command(SiteLanguageCommand):
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
        params = {"kind": FILE_KIND_NAMES[result.kind], "rows": result.rows}
        if options["dry_run"]:
            first = ngettext(
                "%(kind)s: %(rows)s row (dry run: nothing was saved)",
                "%(kind)s: %(rows)s rows (dry run: nothing was saved)",
                result.rows,
            )
        else:
            first = ngettext("%(kind)s: %(rows)s row", "%(kind)s: %(rows)s rows", result.rows)
        self.stdout.write(first % params)
        for line in result_lines(result):
            self.stdout.write(line)
