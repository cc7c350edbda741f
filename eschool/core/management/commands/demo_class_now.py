"""manage.py demo_class_now: a class to go live with now, to try broadcasting at any time."""

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from eschool.accounts.models import Role, Student, Teacher, User
from eschool.core import timeutil
from eschool.core.demo import demo_class_now, demo_logins, demo_or_forced, demo_url


class Command(BaseCommand):
    help = (
        "Demo and development only: put a class of the demo teacher (T1001) for the demo "
        "student's grade (七年级) on today's timetable, starting in 5 minutes and 40 minutes "
        "long, so that going live can be tried at once. Run again while going live is still "
        "open, it keeps the same class. Refused unless the database holds the demo district, "
        "or --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="also on a database that is not the demo district's (a developer's own data)",
        )
        parser.add_argument("--teacher", help="login of the teacher (default: the demo's)")
        parser.add_argument(
            "--student",
            help="login of a student whose grade the class is for (default: the demo's)",
        )
        parser.add_argument(
            "--minutes",
            type=int,
            default=5,
            choices=range(0, 31),
            metavar="{0..30}",
            help="the class starts this many minutes from now (default 5)",
        )
        parser.add_argument(
            "--url",
            help="where the site is served (default: load_demo's --url, as `make run` gives it)",
        )

    def handle(self, *args, force, teacher, student, minutes, url, **options):
        is_demo = demo_or_forced(
            force=force,
            refusal=(
                "This database does not hold the demo district, so no class is added to its "
                "timetable. Use --force (with --teacher and --student) on a database of your own."
            ),
        )
        logins = demo_logins() if is_demo else None
        teacher_login = teacher or (logins[2].login if logins else None)
        student_login = student or (logins[3].login if logins else None)
        if not teacher_login or not student_login:
            raise CommandError("Name the teacher and the student with --teacher and --student.")
        teacher_row = Teacher.objects.filter(user__username=teacher_login).first()
        if teacher_row is None:
            raise CommandError(f"No teacher with the login {teacher_login}.", returncode=1)
        student_row = Student.objects.filter(user__username=student_login).first()
        if student_row is None:
            raise CommandError(f"No student with the login {student_login}.", returncode=1)
        actor = User.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True).order_by("pk").first()
        if actor is None:
            raise CommandError("A district administrator is needed to change the timetable.")
        try:
            made = demo_class_now(
                actor=actor, teacher=teacher_row, grade=student_row.grade, minutes=minutes
            )
        except ValueError as error:
            raise CommandError(f"No class was made: {error}", returncode=1) from None
        self._report(made, is_demo, (url or demo_url()).rstrip("/"), teacher_login, student_login)

    def _report(self, made, is_demo, url, teacher_login, student_login):
        session = made.session
        page = url + reverse("classroom:session", args=[session.pk])
        start, end = timeutil.local(session.starts_at), timeutil.local(session.ends_at)
        subject = session.subject.name if session.subject else ""
        grades = "、".join(grade.name for grade in session.grades.all())
        again = "made now" if made.created else "made earlier and kept: going live is still open"
        self.stdout.write(
            f"{session.title} · {subject} · {grades}: {start:%Y-%m-%d %H:%M}–{end:%H:%M}, "
            f"taught by {session.teacher.user.name} ({teacher_login}) ({again})."
        )
        self.stdout.write(
            f"Going live is open {timeutil.local(made.opens):%H:%M}–"
            f"{timeutil.local(made.closes):%H:%M}."
        )
        teacher, student = f"{teacher_login} (their password)", f"{student_login} (their password)"
        if is_demo:
            logins = demo_logins()
            if teacher_login == logins[2].login:
                teacher = f"{teacher_login} (password {logins[2].password})"
            if student_login == logins[3].login:
                student = f"{student_login} (password {logins[3].password})"
        self.stdout.write(
            "Next, with two browsers (or one and a private window):\n"
            f"  1. The teacher: log in at {url}/accounts/login/ as {teacher}, open\n"
            f"     {page}\n"
            "     and in 开播 (Go live) choose 摄像头 (Camera), press 预览 (Preview), then "
            "开始直播 (Start broadcast).\n"
            f"  2. The student: log in as {student} and open\n"
            f"     {page}\n"
            "     The page says 直播即将开始… until the first seconds of video arrive, then "
            "plays the live.\n"
            "  3. 结束直播 (End broadcast) on the teacher's page: the same page is the replay."
        )
