"""The demo district: the example spreadsheets in demo/, loaded through the real importer.

`make run` calls `manage.py load_demo --if-empty`. The files are the ones an
administrator could upload; only the timetable is rewritten first, so that its
reference fortnight (Monday 2026-01-05 … Sunday 2026-01-18) becomes this week
and next.

The whole load is one transaction: a load stopped half-way (Ctrl-C during the
first `make run`) leaves the database as it was, and the next run starts again.
`demo_state` tells an empty database from the demo and from a real district's,
which the demo never touches.
"""

import datetime as dt
import shutil
import tempfile
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import openpyxl
from django.conf import settings
from django.db import transaction

from eschool.accounts.models import Role, Student, User
from eschool.accounts.services import user_set_own_password
from eschool.core import timeutil
from eschool.org.cleaning import clean_code, clean_label, clean_phone
from eschool.org.models import School

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
REFERENCE_MONDAY = dt.date(2026, 1, 5)
# (file, what it holds), in the order they must be imported: people refer to schools,
# the timetable to teachers.
FILES = [
    ("schools.csv", "schools"),
    ("teachers.xlsx", "teachers"),
    ("students.xlsx", "students"),
    ("timetable_template.xlsx", "timetable"),
]
FIRST_JUNIOR_HIGH = "320106701"  # 南京市鼓楼区梧桐初级中学: the school administrator's

# Known passwords so that a demo can be explored; never used outside the demo.
DISTRICT_ADMIN = ("admin", "eschool-admin")
SCHOOL_ADMIN = ("schooladmin", "eschool-school")
TEACHER_PASSWORD = "eschool-teacher"
STUDENT_PASSWORD = "eschool-student"
PARENT_PASSWORD = "eschool-parent"


class DemoImportFailed(Exception):
    def __init__(self, filename: str, errors: list):
        super().__init__(filename)
        self.filename = filename
        self.errors = errors


@dataclass(frozen=True)
class DemoLogin:
    role: str
    login: str
    password: str
    name: str


class DemoState(StrEnum):
    EMPTY = "empty"  # no school and nobody: load the demo
    LOADED = "loaded"  # the demo, complete
    PARTIAL = "partial"  # only the demo's schools and people, but not all of it: complete it
    OTHER = "other"  # schools or people that are not the demo's: a real district, never touched


DISTRICT_ADMIN_NAME = "区管理员（演示）"
SCHOOL_ADMIN_NAME = "学校管理员（演示）"


def demo_state(folder: Path = DEMO_DIR) -> DemoState:
    """What the database holds, as far as the demo is concerned.

    The demo's school administrator is written in the same transaction as the rest
    of the demo, so finding it means the whole demo is there. Without it, a
    database that holds only schools and people of the demo files is a load that
    earlier versions (one transaction per file) left unfinished.
    """
    if User.objects.filter(
        username=SCHOOL_ADMIN[0], name=SCHOOL_ADMIN_NAME, role=Role.SCHOOL_ADMIN
    ).exists():
        return DemoState.LOADED
    if not School.objects.exists() and not User.objects.exists():
        return DemoState.EMPTY
    schools, people = demo_identities(folder)
    if any(pair not in schools for pair in School.objects.values_list("code", "name").iterator()):
        return DemoState.OTHER
    if any(pair not in people for pair in User.objects.values_list("username", "name").iterator()):
        return DemoState.OTHER
    return DemoState.PARTIAL


def demo_or_forced(*, force: bool, refusal: str) -> bool:
    """For the demo-only commands: True when the database holds the demo district.

    On any other database, CommandError(`refusal`) unless `force` (a developer's own data),
    then False: such a command never changes a real district's data by accident.
    """
    from django.core.management.base import CommandError

    is_demo = demo_state() == DemoState.LOADED
    if not is_demo and not force:
        raise CommandError(refusal, returncode=1)
    return is_demo


# Where the demo is served unless told otherwise (manage.py serve's default), and the file in
# ESCHOOL_DATA_DIR where load_demo keeps the --url that `make run` gives it: the other demo
# commands print links to the port the demo is really served on.
DEFAULT_URL = "http://127.0.0.1:8000"
URL_FILE = "demo-url"


def demo_url_record(url: str) -> str:
    """Remember `url` as the demo's address (see demo_url); returns it without a trailing /."""
    url = url.strip().rstrip("/")
    Path(settings.DATA_DIR, URL_FILE).write_text(url + "\n", encoding="utf-8")
    return url


def demo_url() -> str:
    """The address load_demo was last given with --url (`make run` gives its HOST and PORT),
    else DEFAULT_URL; without a trailing /."""
    try:
        recorded = Path(settings.DATA_DIR, URL_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        recorded = ""
    return recorded.rstrip("/") or DEFAULT_URL


def demo_identities(folder: Path = DEMO_DIR) -> tuple[set, set]:
    """(code, name) of every demo school and (login, name) of every demo person.

    Cleaned as the importer cleans them, so they compare with what it stored.
    """
    from eschool.org.importing.common import clean_login_number, clean_person_name

    schools = {
        (clean_code(r["学校代码"]), clean_label(r["学校名称"]))
        for r in _rows(folder / "schools.csv")
    }
    people = {(DISTRICT_ADMIN[0], DISTRICT_ADMIN_NAME), (SCHOOL_ADMIN[0], SCHOOL_ADMIN_NAME)}
    for r in _rows(folder / "teachers.xlsx"):
        people.add((clean_login_number(r["工号"]), clean_person_name(r["姓名"])))
    for r in _rows(folder / "students.xlsx"):
        people.add((clean_login_number(r["学号"]), clean_person_name(r["姓名"])))
        if r.get("家长手机"):
            people.add((clean_phone(r["家长手机"]), clean_person_name(r["家长姓名"])))
    return schools, people


def _rows(path: Path):
    """The rows of a demo file as dicts by header, read as the importer reads them."""
    from eschool.org.importing.reader import read_table

    table = read_table(path)
    for _number, cells in table.rows:
        yield dict(zip(table.headers, cells, strict=False))


def this_monday(today: dt.date | None = None) -> dt.date:
    today = today or timeutil.today()
    return today - dt.timedelta(days=today.weekday())


def timetable_shifted(*, template: Path, target: Path, monday: dt.date) -> int:
    """Copy the template to `target` with its dates moved so REFERENCE_MONDAY becomes `monday`.

    Returns the number of sessions (data rows) written.
    """
    shift = monday - REFERENCE_MONDAY
    book = openpyxl.load_workbook(template)
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    date_column = headers.index("日期") + 1
    rows = 0
    for (cell,) in sheet.iter_rows(min_row=2, min_col=date_column, max_col=date_column):
        if cell.value is None:
            continue
        cell.value = cell.value + shift
        rows += 1
    book.save(target)
    return rows


def _first_row(path: Path) -> dict:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book.active.iter_rows(min_row=1, max_row=2, values_only=True)
        headers, values = next(rows), next(rows)
    finally:
        book.close()
    return dict(zip(headers, values, strict=False))


def _import(path: Path, *, filename: str, expected_kind: str, progress):
    # Imported here so that the core app does not load the importer unless a demo is loaded.
    from eschool.org.importing import import_file

    with open(path, "rb") as handle:
        result = import_file(handle, filename=filename, commit=True, allowed_kinds=[expected_kind])
    if not result.ok:
        raise DemoImportFailed(filename, list(result.errors))
    progress(filename, result)
    return result


def _demo_accounts(folder: Path) -> list[DemoLogin]:
    logins = demo_logins(folder)
    if not User.objects.filter(username=DISTRICT_ADMIN[0]).exists():
        User.objects.create_user(
            DISTRICT_ADMIN[0],
            name=DISTRICT_ADMIN_NAME,
            role=Role.DISTRICT_ADMIN,
            is_staff=True,
            is_superuser=True,
        )
    if not User.objects.filter(username=SCHOOL_ADMIN[0]).exists():
        User.objects.create_user(
            SCHOOL_ADMIN[0],
            name=SCHOOL_ADMIN_NAME,
            role=Role.SCHOOL_ADMIN,
            school=School.objects.get(code=FIRST_JUNIOR_HIGH),
        )
    # Each gets its demo password (the teacher, the student and the parent came with the files).
    for login in logins:
        user_set_own_password(user=User.objects.get(username=login.login), password=login.password)
    return logins


def demo_logins(folder: Path = DEMO_DIR) -> list[DemoLogin]:
    """The demo logins as `demo_load` sets them, and who each one is, read from the demo files
    and cleaned as the importer cleans them (no query, no writes): the first `make run` and
    every later one print the same table."""
    from eschool.org.importing.common import clean_login_number, clean_person_name

    school = next(
        row
        for row in _rows(folder / "schools.csv")
        if clean_code(row["学校代码"]) == FIRST_JUNIOR_HIGH
    )
    teacher = _first_row(folder / "teachers.xlsx")
    student = _first_row(folder / "students.xlsx")
    return [
        DemoLogin(
            str(Role.DISTRICT_ADMIN.label),
            DISTRICT_ADMIN[0],
            DISTRICT_ADMIN[1],
            DISTRICT_ADMIN_NAME,
        ),
        DemoLogin(
            str(Role.SCHOOL_ADMIN.label),
            SCHOOL_ADMIN[0],
            SCHOOL_ADMIN[1],
            clean_label(school["学校名称"]),
        ),
        DemoLogin(
            str(Role.TEACHER.label),
            clean_login_number(teacher["工号"]),
            TEACHER_PASSWORD,
            clean_person_name(teacher["姓名"]),
        ),
        DemoLogin(
            str(Role.STUDENT.label),
            clean_login_number(student["学号"]),
            STUDENT_PASSWORD,
            clean_person_name(student["姓名"]),
        ),
        DemoLogin(
            str(Role.PARENT.label),
            clean_phone(student["家长手机"]),
            PARENT_PASSWORD,
            clean_person_name(student["家长姓名"]),
        ),
    ]


def demo_load(
    *,
    folder: Path = DEMO_DIR,
    today: dt.date | None = None,
    progress=lambda filename, result: None,
    replays: bool = True,
    say=lambda line: None,
):
    """Import the demo district and set the demo logins; returns the list of DemoLogin.

    All of it is one transaction: when a file is refused (DemoImportFailed, with
    the importer's row report) or the load is stopped, nothing of it stays. Run on
    a partly loaded demo, it completes it (the importer changes nothing already
    there). With `replays`, past sessions get replays of a generated video (see
    demo_replays).
    """
    with transaction.atomic():
        return _demo_load(folder=folder, today=today, progress=progress, replays=replays, say=say)


def _demo_load(*, folder, today, progress, replays, say):
    monday = this_monday(today)
    for filename, kind in FILES[:-1]:
        _import(folder / filename, filename=filename, expected_kind=kind, progress=progress)
    template_name, kind = FILES[-1]
    with tempfile.TemporaryDirectory(prefix="eschool-demo-") as scratch:
        shifted = Path(scratch) / f"timetable_{monday.isoformat()}.xlsx"
        timetable_shifted(template=folder / template_name, target=shifted, monday=monday)
        _import(shifted, filename=shifted.name, expected_kind=kind, progress=progress)
    logins = _demo_accounts(folder)
    _demo_courses(User.objects.get(username=DISTRICT_ADMIN[0]))
    _demo_full_classes(demo_student=logins[3].login)
    from eschool.tutoring.demo import demo_tutoring

    # Evening tutoring: teachers on duty tonight and tomorrow, two past rated sessions.
    demo_tutoring(teacher_username=logins[2].login, student_username=logins[3].login)
    if replays:
        started = time.monotonic()
        count = demo_replays(User.objects.get(username=DISTRICT_ADMIN[0]))
        say(
            f"  replays: {count} past sessions, {DEMO_REPLAY_SECONDS // 60} min of video each, "
            f"in {time.monotonic() - started:.1f} s"
        )
    return logins


# Seats of the demo's bookable sessions, so that booking and the waitlist can be tried.
DEMO_SEATS = {"class": 40, "lecture": 300, "parenting": 100}


def _demo_courses(admin) -> None:
    """A lecture series with its speaker, a parenting course, and seats on the sessions.

    The timetable spreadsheet has no courses or seats; this is the demo's own
    step after importing it (a district sets them on the course pages).
    """
    from eschool.classroom.models import Kind, Session
    from eschool.classroom.services import timetable_changed
    from eschool.classroom.services.booking import session_capacity_set
    from eschool.classroom.services.courses import course_create, speaker_create
    from eschool.org.models import Grade, Stage

    speaker = speaker_create(
        actor=admin,
        name="周明远",
        title="特级教师",
        institution="鼓楼区教师发展中心（演示）",
        bio="从事初高中数学教学三十年，主持区中考复习研究。（虚构人物）",
    )
    series = course_create(
        actor=admin,
        kind=Kind.LECTURE,
        title="名师讲坛：中考与高考专题（演示）",
        description="区内名师与高校教授的专题讲座，区内外学生均可预约观看。",
        speakers=[speaker],
    )
    parenting = course_create(
        actor=admin,
        kind=Kind.PARENTING,
        title="宝爸宝妈学堂：陪伴孩子成长（演示）",
        description="每天 30 分钟的家庭教育课程，按小班、中班、大班分组。",
        stage=Stage.KINDERGARTEN,
        grades=list(Grade.objects.filter(stage=Stage.KINDERGARTEN)),
    )
    Session.objects.filter(kind=Kind.LECTURE).update(course=series, open_to_public=True)
    Session.objects.filter(kind=Kind.PARENTING).update(course=parenting)
    for session in Session.objects.filter(kind__in=list(DEMO_SEATS)).exclude(
        kind=Kind.CLASS, stage__in=[Stage.PRIMARY, Stage.SENIOR]
    ):
        session_capacity_set(actor=admin, session=session, capacity=DEMO_SEATS[session.kind])
    for day in Session.objects.values_list("day", flat=True).distinct():
        timetable_changed(day)


def _demo_full_classes(*, demo_student: str) -> int:
    """Every weekday, the last class of the demo student's grade (七年级) is full: its seats are
    booked by the first other students of the grade, by login, so that the demo student can
    join a waitlist until it starts. The same sessions and students on every load; returns the
    number of bookings.

    Written directly rather than by booking_create, which refuses the week's classes that
    have started and would take a call per seat: these are the rows those calls would leave.
    """
    from eschool.classroom.models import Booking, Kind, Session
    from eschool.classroom.selectors import publication_moment
    from eschool.classroom.services import timetable_changed

    grade = Student.objects.get(user__username=demo_student).grade
    last_of_day = {}
    for session in Session.objects.filter(
        kind=Kind.CLASS, grades=grade, capacity__isnull=False
    ).order_by("starts_at", "pk"):
        last_of_day[session.day] = session
    seats = DEMO_SEATS["class"]
    others = list(
        Student.objects.filter(grade=grade)
        .exclude(user__username=demo_student)
        .order_by("user__username")
        .values_list("user_id", flat=True)[:seats]
    )
    at = timeutil.now()
    bookings = []
    for day, session in sorted(last_of_day.items()):
        # As if booked when the day was published, and never later than now.
        booked = min(publication_moment(day), at - dt.timedelta(minutes=1))
        bookings += [
            Booking(
                session=session,
                learner_id=learner,
                status=Booking.Status.CONFIRMED,
                queued_at=booked + dt.timedelta(seconds=index),
            )
            for index, learner in enumerate(others)
        ]
    Booking.objects.bulk_create(bookings)
    Session.objects.filter(pk__in=[s.pk for s in last_of_day.values()]).update(
        seats_taken=len(others), updated_at=at
    )
    for day in last_of_day:
        timetable_changed(day)
    return len(bookings)


# Replays of past sessions, so that the replay page can be tried at once. One video (a test
# picture with a running clock and a tone) is generated and packaged once, small (one 360p
# rendition, 10 frames a second), and copied to each session: `make run` stays quick.
DEMO_REPLAY_SECONDS = 180
DEMO_REPLAY_COUNT = 3
DEMO_TEACHER = "T1001"
DEMO_CHAPTERS = [(0, "课前导入"), (40, "新课讲解"), (100, "例题精讲"), (155, "课堂小结")]


def _demo_replay_sessions(admin) -> list:
    """The most recently ended sessions: one of the demo teacher's, a lecture, an event, then
    the latest others. Early on a Monday nothing has ended yet; then this Monday's first
    classes are copied to a week earlier.
    """
    from eschool.classroom.models import Kind, Session
    from eschool.classroom.services import session_create

    ended = Session.objects.filter(
        ends_at__lte=timeutil.now(), status=Session.Status.SCHEDULED
    ).order_by("-ends_at", "-pk")
    chosen = []
    for query in (
        ended.filter(teacher__user__username=DEMO_TEACHER),
        ended.filter(kind=Kind.LECTURE),
        ended.filter(kind=Kind.EVENT),
        ended,
    ):
        for session in query[: DEMO_REPLAY_COUNT + 1]:
            if len(chosen) < DEMO_REPLAY_COUNT and session not in chosen:
                chosen.append(session)
                break
    for session in ended[: DEMO_REPLAY_COUNT * 2]:
        if len(chosen) < DEMO_REPLAY_COUNT and session not in chosen:
            chosen.append(session)
    if chosen:
        return chosen
    first_classes = (
        Session.objects.filter(kind=Kind.CLASS, teacher__isnull=False)
        .order_by("starts_at", "pk")
        .prefetch_related("grades")[:DEMO_REPLAY_COUNT]
    )
    week = dt.timedelta(days=7)
    return [
        session_create(
            actor=admin,
            starts_at=session.starts_at - week,
            ends_at=session.ends_at - week,
            stage=session.stage,
            grades=list(session.grades.all()),
            title=session.title,
            subject=session.subject,
            teacher=session.teacher,
        )
        for session in first_classes
    ]


def demo_replays(admin) -> int:
    """Ready replays for a few past sessions, with chapters and a kept chat on the demo
    teacher's."""
    from eschool.live.media import make_test_video, package_vod, read_playlist
    from eschool.live.models import Recording
    from eschool.live.services import chapter_add

    sessions = _demo_replay_sessions(admin)
    if not sessions:
        return 0
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="eschool-demo-replay-") as folder:
        clip = make_test_video(
            Path(folder) / "demo.mp4", seconds=DEMO_REPLAY_SECONDS, width=640, height=360, fps=10
        )
        packaged = package_vod(clip, Path(folder) / "hls", renditions=((640, 360),))
        first = read_playlist(packaged).variants[0]["URI"]
        duration = round(read_playlist(packaged.parent / first).duration, 3)
        for session in sessions:
            recording = Recording.objects.create(
                session=session,
                kind=Recording.Kind.UPLOAD,
                status=Recording.Status.PROCESSING,
                source_name="演示回看.mp4",
            )
            target = media / "replays" / str(session.pk) / str(recording.pk)
            # Copied aside, then renamed into place: a replay is there whole or not at all.
            part = target.with_name(f".{target.name}.part")
            shutil.rmtree(part, ignore_errors=True)
            shutil.copytree(packaged.parent, part)
            shutil.rmtree(target, ignore_errors=True)
            part.rename(target)
            Recording.objects.filter(pk=recording.pk).update(
                status=Recording.Status.READY,
                progress=1.0,
                duration_seconds=duration,
                hls_path=(target / packaged.name).relative_to(media).as_posix(),
            )
    recording = Recording.objects.get(session=sessions[0])
    for at_seconds, title in DEMO_CHAPTERS:
        chapter_add(actor=admin, recording=recording, at_seconds=at_seconds, title=title)
    _demo_replay_chat(sessions[0])
    return len(sessions)


# The chat kept beside the demo teacher's replay: (seconds into it, which student (None: the
# teacher), kind, text, answered, pinned). Stored as a broadcast's chat is, with its offsets,
# so the replay shows each message when it reaches that time.
DEMO_REPLAY_CHAT = [
    (6, 0, "chat", "老师好！", False, False),
    (20, 1, "chat", "老师好，声音和画面都很清楚。", False, False),
    (41, 2, "question", "这一段的重点句是哪一句？", True, True),
    (47, None, "chat", "好问题：先找这一段的中心句，我们马上一起分析。", False, False),
    (88, 0, "question", "例题里的这个词可以换成别的说法吗？", True, False),
    (110, 1, "chat", "明白了，谢谢老师！", False, False),
]


def _demo_replay_chat(session) -> None:
    """A few messages of the session's students and teacher, at times in its replay (the
    demo loader writes its rows directly, as for the replays themselves)."""
    from eschool.accounts.models import Student
    from eschool.chat.models import Message

    students = [
        student.user
        for student in Student.objects.filter(grade__in=session.grades.all())
        .select_related("user")
        .order_by("user__username")[:3]
    ]
    teacher = session.teacher.user if session.teacher else None
    messages = []
    for at_seconds, who, kind, text, answered, pinned in DEMO_REPLAY_CHAT:
        author = teacher if who is None else (students[who] if who < len(students) else None)
        if author is None:
            continue
        messages.append(
            Message(
                session=session,
                author=author,
                kind=kind,
                text=text,
                created_at=session.starts_at + dt.timedelta(seconds=at_seconds),
                offset_seconds=float(at_seconds),
                answered=answered,
                pinned=pinned,
            )
        )
    Message.objects.bulk_create(messages)


def demo_replay_sessions() -> list:
    """The sessions that have a ready replay, by start (load_demo prints where they are)."""
    from eschool.classroom.models import Session
    from eschool.live.models import Recording

    ready = Recording.objects.filter(status=Recording.Status.READY).values("session_id")
    return list(
        Session.objects.filter(pk__in=ready)
        .select_related("teacher__user")
        .prefetch_related("grades")
        .order_by("starts_at", "pk")
    )


# Trying a live class at any time of day (manage.py demo_class_now) ------------------------

DEMO_CLASS_TITLE = "直播体验课（演示）"
DEMO_CLASS_MINUTES = 40


@dataclass(frozen=True)
class ClassNow:
    session: object  # eschool.classroom.models.Session
    created: bool  # False: the class an earlier call made can still be broadcast, so it is kept
    opens: dt.datetime  # going live is possible from here...
    closes: dt.datetime  # ...until here


def demo_class_now(*, actor, teacher, grade, minutes: int = 5) -> ClassNow:
    """A published class of `teacher` (their first subject) for `grade`, starting in `minutes`
    and 40 minutes long, so that going live can be tried at once.

    Made once: while a class made this way can still be broadcast (from 30 minutes before its
    start until 30 minutes after its end), another call returns it instead of making a second.
    Raises ValueError with a message when the class cannot be made (it would end after
    midnight, or the teacher gives another class then).
    """
    from django.core.exceptions import ValidationError

    from eschool.classroom.models import Session
    from eschool.classroom.selectors import day_is_public
    from eschool.classroom.services import session_create
    from eschool.classroom.services.publication import day_publish
    from eschool.live.services import BROADCAST_MARGIN, broadcast_window

    now = timeutil.now()
    open_now = (
        Session.objects.filter(
            teacher=teacher,
            title=DEMO_CLASS_TITLE,
            grades=grade,
            status=Session.Status.SCHEDULED,
            starts_at__lte=now + BROADCAST_MARGIN,
            ends_at__gte=now - BROADCAST_MARGIN,
        )
        .order_by("starts_at")
        .first()
    )
    created = open_now is None
    if created:
        starts_at = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=minutes)
        try:
            with transaction.atomic():
                open_now = session_create(
                    actor=actor,
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(minutes=DEMO_CLASS_MINUTES),
                    stage=grade.stage,
                    grades=[grade],
                    title=DEMO_CLASS_TITLE,
                    subject=teacher.subjects.first(),
                    teacher=teacher,
                    description="演示用的课，用来试一试直播：老师开始直播，学生在课程页观看。",
                )
                # Today is always public; a class just after midnight is on tomorrow's page.
                if not day_is_public(open_now.day):
                    day_publish(day=open_now.day, actor=actor)
        except ValidationError as refused:
            raise ValueError(" ".join(refused.messages)) from None
    opens, closes = broadcast_window(open_now)
    return ClassNow(open_now, created, opens, closes)
