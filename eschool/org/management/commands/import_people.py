from pathlib import Path

from django.utils.translation import gettext as _
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
        parser.add_argument("file", help="The .xlsx or .csv file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show the counts only."
        )

    def fail(self, message: str):
        self.stderr.write(_("Nothing was imported: %(problem)s") % {"problem": message})
        raise SystemExit(1)

    def wrong_kind(self, path: Path) -> str:
        return _("%(path)s is a timetable: import it with manage.py import_timetable.") % {
            "path": path
        }

    def handle(self, *args, **options):
        path = Path(options["file"])
        # A mistyped path is the caller's slip, not a crash: say so, exit 1.
        if not path.is_file():
            self.fail(_("there is no file %(path)s.") % {"path": path})
        try:
            result = import_file(
                path, actor=None, commit=not options["dry_run"], allowed_kinds=self.kinds
            )
        except OSError as error:
            self.fail(
                _("the file %(path)s cannot be read (%(reason)s).")
                % {"path": path, "reason": error.strerror or error}
            )
        if result.kind and result.kind not in self.kinds:
            self.fail(self.wrong_kind(path))
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
