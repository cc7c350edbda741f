"""manage.py tutoring_open_now: evening tutoring open now, to try it in the daytime."""

from django.core.management.base import BaseCommand, CommandError

from eschool.accounts.models import Teacher
from eschool.core.demo import demo_logins, demo_or_forced, demo_url
from eschool.tutoring.demo import OPEN_NOW_HOURS, demo_teachers_on_duty, tutoring_open_now


class Command(BaseCommand):
    help = (
        "Demo and development only: make today's tutoring window cover the next two hours and "
        "put the demo's teachers (T1001 and a few colleagues) on duty tonight, so that an "
        "evening can be tried at any time of day. It rewrites the district's window (the "
        "tutoring settings page sets it back). Refused unless the database holds the demo "
        "district, or --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="also on a database that is not the demo district's (a developer's own data)",
        )
        parser.add_argument(
            "--teachers",
            help="comma-separated logins of the teachers to put on duty (default: the demo's)",
        )
        parser.add_argument("--hours", type=int, default=OPEN_NOW_HOURS, choices=range(1, 13))
        parser.add_argument(
            "--url",
            help="where the site is served (default: load_demo's --url, as `make run` gives it)",
        )

    def handle(self, *args, force, teachers, hours, url, **options):
        is_demo = demo_or_forced(
            force=force,
            refusal=(
                "This database does not hold the demo district, so its tutoring window is left "
                "alone. Use --force (and --teachers) on a database of your own."
            ),
        )
        url = (url or demo_url()).rstrip("/")
        on_duty = self._teachers(teachers, is_demo)
        try:
            opened = tutoring_open_now(teachers=on_duty, hours=hours)
        except ValueError as error:
            raise CommandError(f"Not opened: {error}; try again after midnight.") from None
        window = opened.window
        self.stdout.write(
            f"Evening tutoring is open today {window.opens_at:%H:%M}–{window.closes_at:%H:%M} "
            f"(the window was {opened.before}; every day now has this window until it is set "
            f"back at {url}/tutoring/settings/)."
        )
        if opened.holidays_ignored:
            self.stdout.write("Today has no classes; days without classes no longer stop tutoring.")
        self.stdout.write("On duty tonight:")
        for shift in opened.shifts:
            subjects = "、".join(subject.name for subject in shift.subjects.all())
            self.stdout.write(
                f"  {shift.teacher.user.name} ({shift.teacher.user.username}): "
                f"{subjects} · {shift.band.name}"
            )
        self._next_steps(opened.shifts, is_demo, url)

    def _teachers(self, logins, is_demo) -> list[Teacher]:
        if logins:
            names = [name.strip() for name in logins.split(",") if name.strip()]
            found = list(Teacher.objects.filter(user__username__in=names).select_related("user"))
            missing = sorted(set(names) - {teacher.user.username for teacher in found})
            if missing:
                raise CommandError(f"No teacher with the login {', '.join(missing)}.", returncode=1)
            return found
        if not is_demo:
            raise CommandError("Name the teachers to put on duty with --teachers.", returncode=1)
        return demo_teachers_on_duty()

    def _next_steps(self, shifts, is_demo, url):
        if not shifts:
            self.stdout.write("Nobody could be put on duty: these teachers have no subjects.")
            return
        teacher = f"{shifts[0].teacher.user.username} (their password)"
        student = "a student of a grade the teacher serves (their password)"
        if is_demo:
            logins = demo_logins()
            teacher = f"{shifts[0].teacher.user.username} (password {logins[2].password})"
            student = f"{logins[3].login} (password {logins[3].password})"
        self.stdout.write(
            "Next, with two browsers (or one and a private window):\n"
            f"  1. The teacher: log in at {url}/accounts/login/ as {teacher}, open "
            f"{url}/tutoring/duty/ and press 上线 (Go online).\n"
            f"  2. The student: log in as {student}, open {url}/tutoring/ask/ and ask a "
            "question in one of the teacher's subjects above.\n"
            "  3. The teacher accepts the offer on the duty page; both are in the room.\n"
            f"  The administrator's live board: {url}/tutoring/board/"
        )
