import time

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from eschool.core import timeutil
from eschool.core.demo import (
    DemoImportFailed,
    DemoState,
    demo_load,
    demo_logins,
    demo_replay_sessions,
    demo_state,
    demo_url,
    demo_url_record,
)


class Command(BaseCommand):
    help = (
        "Load the demo district (demo/*.csv, *.xlsx) through the spreadsheet importer, "
        "with this week's and next week's timetable, and print the demo logins. "
        "A database with schools or people that are not the demo's is never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the demo is already loaded (a partly loaded demo is completed)",
        )
        parser.add_argument(
            "--url",
            help=(
                "where the demo is served, for the links printed here; kept for the links of "
                "demo_class_now and tutoring_open_now (default: the last --url given, else "
                "http://127.0.0.1:8000)"
            ),
        )
        parser.add_argument(
            "--no-replays",
            dest="replays",
            action="store_false",
            help="do not generate the replays of past sessions (a few seconds of video work)",
        )

    def handle(self, *args, if_empty, url=None, replays=True, **options):
        url = (demo_url_record(url) if url else demo_url()) + "/"
        state = demo_state()
        if state == DemoState.OTHER:
            message = (
                "This database holds schools or people that are not the demo's: it is a real "
                "district's, so the demo district is not loaded and nothing was changed."
            )
            if not if_empty:
                raise CommandError(message, returncode=1)
            self.stdout.write(message)
            self.stdout.write(f"Open {url}")
            return
        if if_empty and state == DemoState.LOADED:
            self.stdout.write("The demo district is already loaded (nothing to do).")
            self.stdout.write(f"Open {url}")
            self.stdout.write("Demo logins (unless someone changed their password since):")
            self.stdout.write(self._table(demo_logins()))
            self._replays(url)
            return
        if state == DemoState.PARTIAL:
            self.stdout.write(
                "The demo district was only partly loaded (an earlier load was stopped); "
                "completing it."
            )
        started = time.monotonic()

        def progress(filename, result):
            counts = ", ".join(
                f"{what}: " + " ".join(f"{k} {v}" for k, v in numbers.items())
                for what, numbers in result.counts.items()
            )
            self.stdout.write(f"  {filename}: {counts}")

        self.stdout.write("Loading the demo district (all of it or nothing)…")
        try:
            logins = demo_load(progress=progress, replays=replays, say=self.stdout.write)
        except DemoImportFailed as failure:
            self.stderr.write(f"{failure.filename} was refused by the importer:")
            for error in failure.errors:
                if hasattr(error, "row"):
                    row = error.row if error.row is not None else "-"
                    self.stderr.write(
                        f"  row {row}, {error.column} {error.value!r}: {error.message}"
                    )
                else:
                    self.stderr.write(f"  {error}")
            raise CommandError(
                "the demo district was not loaded (nothing of it was kept)", returncode=1
            ) from None
        self.stdout.write(f"Demo district loaded in {time.monotonic() - started:.1f} s.")
        self.stdout.write("")
        self.stdout.write(f"Open {url}")
        self.stdout.write("")
        self.stdout.write(self._table(logins))
        self._replays(url)

    def _replays(self, url):
        sessions = demo_replay_sessions()
        if not sessions:
            return
        self.stdout.write("")
        self.stdout.write("Replays (回看, marked on the timetable):")
        for session in sessions:
            start = timeutil.local(session.starts_at)
            who = f" · {session.teacher.user.name}" if session.teacher else ""
            page = url.rstrip("/") + reverse("classroom:session", args=[session.pk])
            self.stdout.write(f"  {start:%m-%d %H:%M} {session.title}{who}: {page}")

    @staticmethod
    def _table(logins) -> str:
        rows = [("role", "login", "password", "who")] + [
            (login.role, login.login, login.password, login.name) for login in logins
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = []
        for index, row in enumerate(rows):
            cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
            lines.append("  ".join(cells).rstrip())
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)
