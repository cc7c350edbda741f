"""The demo district loads through the importer, covers this week and next, and loads once.

Loading it is heavy (6,000 accounts), so one test loads it and checks everything.
The expected figures were counted in demo/*.xlsx by hand (see demo/make_demo.py).
"""

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from eschool.accounts.models import Guardianship, Role, Student, Teacher, User
from eschool.classroom.models import Booking, Course, Session
from eschool.classroom.services.booking import BookingRefused, booking_create
from eschool.core import timeutil
from eschool.core.demo import (
    DEMO_CLASS_TITLE,
    DemoImportFailed,
    DemoState,
    demo_load,
    demo_state,
    this_monday,
    timetable_shifted,
)
from eschool.core.testing import make_user
from eschool.org.cleaning import clean_code
from eschool.org.importing import import_file
from eschool.org.models import Homeroom, Region, School
from eschool.org.tests.conftest import case_path

DEMO = Path(__file__).resolve().parents[3] / "demo"
# Sessions per weekday in the template: 38 classes and lectures on a weekday, 2 lectures at
# weekends, 3 parenting sessions every day; Monday has the flag-raising ceremony too.
SESSIONS_ON_WEEKDAY = {0: 42, 1: 41, 2: 41, 3: 41, 4: 41, 5: 5, 6: 5}


def snapshot() -> dict:
    return {
        "schools": School.objects.count(),
        "users": User.objects.count(),
        "students": Student.objects.count(),
        "guardianships": Guardianship.objects.count(),
        "sessions": Session.objects.count(),
        "homerooms": Homeroom.objects.count(),
    }


def test_this_monday_is_the_monday_of_the_week_in_shanghai():
    assert this_monday(dt.date(2026, 3, 11)) == dt.date(2026, 3, 9)
    assert this_monday(dt.date(2026, 3, 9)) == dt.date(2026, 3, 9)
    assert this_monday(dt.date(2026, 3, 15)) == dt.date(2026, 3, 9)


def test_the_template_is_shifted_to_the_given_monday(tmp_path):
    target = tmp_path / "shifted.xlsx"
    rows = timetable_shifted(
        template=DEMO / "timetable_template.xlsx", target=target, monday=dt.date(2026, 3, 9)
    )
    assert rows == 432
    sheet = openpyxl.load_workbook(target).active
    days = [row[0].date() for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert min(days) == dt.date(2026, 3, 9)
    assert max(days) == dt.date(2026, 3, 22)
    # Everything else is untouched: the first row is still Monday's ceremony at 07:50.
    first = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[1:] == (
        dt.time(7, 50),
        dt.time(8, 10),
        "初中",
        "七年级,八年级,九年级",
        None,
        "升旗仪式",
        None,
        "活动",
    )


def test_the_parenting_sessions_are_daily_half_hours_for_each_preschool_age_group():
    sheet = openpyxl.load_workbook(DEMO / "timetable_template.xlsx").active
    parenting = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[8] == "育儿"]
    assert len(parenting) == 14 * 3
    # (date, start, end, stage, grade, subject, topic, teacher, kind)
    first_day = [row[1:7] for row in parenting if row[0].date() == dt.date(2026, 1, 5)]
    assert first_day == [
        (dt.time(19, 30), dt.time(20, 0), "幼儿园", "幼儿园小班", None, "入园适应：缓解分离焦虑"),
        (dt.time(20, 0), dt.time(20, 30), "幼儿园", "幼儿园中班", None, "绘本共读：睡前十分钟"),
        (
            dt.time(20, 30),
            dt.time(21, 0),
            "幼儿园",
            "幼儿园大班",
            None,
            "幼小衔接：帮孩子做好入学准备",
        ),
    ]
    assert {(row[0].date(), row[4]) for row in parenting} == {
        (dt.date(2026, 1, 5) + dt.timedelta(days=n), grade)
        for n in range(14)
        for grade in ("幼儿园小班", "幼儿园中班", "幼儿园大班")
    }
    # Each given by a teacher of one of the district's kindergartens (320106731–320106735).
    school_of = {row[0]: row[2] for row in _cells(DEMO / "teachers.xlsx")[1:]}
    assert {school_of[row[7]] for row in parenting} <= {f"32010673{n}" for n in range(1, 6)}


def test_load_demo_loads_the_district_once(db, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path  # where load_demo would keep a --url
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    printed = out.getvalue()

    # People and schools, as counted in the files.
    assert School.objects.count() == 20
    assert School.objects.filter(region__kind=Region.Kind.HOME).count() == 17
    assert sorted(
        School.objects.filter(region__kind=Region.Kind.PARTNER).values_list("code", flat=True)
    ) == ["321300701", "420200701", "420200721"]
    assert Teacher.objects.count() == 150
    assert Student.objects.count() == 3000
    assert User.objects.filter(role=Role.PARENT).count() == 2880
    assert Guardianship.objects.count() == 3000
    # 120 parents have two children in the district, sharing the parent's phone.
    parents = User.objects.filter(role=Role.PARENT).prefetch_related("guardianships")
    assert sum(1 for parent in parents if len(parent.guardianships.all()) == 2) == 120
    assert Homeroom.objects.count() == 308

    # The timetable covers this week and next, every day, whatever today is.
    monday = this_monday(timeutil.today())
    fortnight = [monday + dt.timedelta(days=n) for n in range(14)]
    for day in fortnight:
        assert Session.objects.filter(day=day).count() == SESSIONS_ON_WEEKDAY[day.weekday()], day
    # (Early on a Monday, when nothing has ended yet, the demo replays add sessions last week.)
    assert Session.objects.filter(day__gte=monday).count() == 432
    assert Session.objects.filter(day__range=(monday, monday + dt.timedelta(days=6))).count() == 216
    today = timeutil.today()
    assert Session.objects.filter(day=today).count() == SESSIONS_ON_WEEKDAY[today.weekday()]
    ceremony = Session.objects.get(day=monday, title="升旗仪式")
    assert ceremony.kind == Session.Kind.EVENT
    assert timeutil.local(ceremony.starts_at).time() == dt.time(7, 50)
    assert sorted(ceremony.grades.values_list("level", flat=True)) == [7, 8, 9]
    kinds = Session.objects.values_list("kind", flat=True)
    assert sorted(set(kinds)) == ["class", "event", "lecture", "parenting"]

    # The demo logins work and need no password change.
    expected = {
        "admin": ("eschool-admin", Role.DISTRICT_ADMIN),
        "schooladmin": ("eschool-school", Role.SCHOOL_ADMIN),
        "T1001": ("eschool-teacher", Role.TEACHER),
        "26000001": ("eschool-student", Role.STUDENT),
        "13721220717": ("eschool-parent", Role.PARENT),
    }
    for login, (password, role) in expected.items():
        user = authenticate(username=login, password=password)
        assert user is not None, login
        assert user.role == role
        assert user.must_change_password is False
        assert login in printed and password in printed
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert User.objects.get(username="schooladmin").school.code == "320106701"
    parent = User.objects.get(username="13721220717")
    assert list(parent.guardianships.values_list("student__user__username", flat=True)) == [
        "26000001"
    ]
    assert "http://127.0.0.1:8000/" in printed

    # Seats, a lecture series and a parenting course, so that booking can be tried.
    # 160 junior-high and kindergarten classes, 18 lectures, 42 parenting sessions.
    assert Session.objects.filter(capacity__isnull=False).count() == 220
    series = Course.objects.get(kind="lecture")
    assert (series.title, [s.name for s in series.speakers.all()]) == (
        "名师讲坛：中考与高考专题（演示）",
        ["周明远"],
    )
    assert series.sessions.count() == Session.objects.filter(kind="lecture").count()
    assert not series.sessions.filter(open_to_public=False).exists()
    assert Course.objects.get(kind="parenting").sessions.count() == (
        Session.objects.filter(kind="parenting").count()
    )
    check_demo_parenting(client)

    # Every weekday the last 七年级 class is full, booked by the same 40 other students of the
    # grade; the demo student can join the waitlist of one that has not started.
    demo_student = User.objects.get(username="26000001")
    full = list(Session.objects.filter(seats_taken=40).order_by("starts_at"))
    assert [(s.day, timeutil.local(s.starts_at).time(), s.capacity) for s in full] == [
        (day, dt.time(15, 50), 40) for day in fortnight if day.weekday() < 5
    ]
    assert {(s.kind, tuple(g.name for g in s.grades.all())) for s in full} == {
        ("class", ("七年级",))
    }
    booked = Booking.objects.filter(session__in=full, status="confirmed")
    assert booked.count() == 10 * 40
    assert booked.values("learner").distinct().count() == 40
    assert not booked.exclude(learner__student__grade__name="七年级").exists()
    assert not Booking.objects.filter(learner=demo_student).exists()
    assert not booked.filter(queued_at__gt=timeutil.now()).exists()
    next_full = next(s for s in full if s.starts_at > timeutil.now())
    with pytest.raises(BookingRefused):
        booking_create(learner=demo_student, session=next_full)
    assert booking_create(learner=demo_student, session=next_full, waitlist=True).status == (
        "waitlisted"
    )
    first_of_grade = (
        Session.objects.filter(
            grades=demo_student.student.grade,
            capacity=40,
            seats_taken__lt=40,
            starts_at__gt=timeutil.now(),
        )
        .order_by("starts_at")
        .first()
    )
    booking = booking_create(learner=demo_student, session=first_of_grade)
    assert booking.status == "confirmed"

    # The demo student's past tutoring: questions in the demo teacher's subject, with what
    # was said and drawn in the room.
    check_demo_tutoring(demo_student)

    # Replays of past sessions, ready to play: playlists that parse, segments that decode.
    check_demo_replays(settings.MEDIA_ROOT, printed, client)

    # The table of logins says who each one is (the names in demo/*.csv|xlsx).
    assert logins_table(printed) == DEMO_LOGINS_TABLE

    # Loading again with --if-empty changes nothing and says so…
    before = snapshot()
    again = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=again)
    assert "already loaded" in again.getvalue()
    # …and still shows how to log in, the same table as the first time.
    assert logins_table(again.getvalue()) == DEMO_LOGINS_TABLE
    assert snapshot() == before

    # The shared cases' schools are other schools than the demo's: a district administrator's
    # dry run of schools_gbk.csv on the demo finds five new schools and changes none.
    dry_run = import_file(case_path("schools_gbk.csv"), actor=admin, commit=False)
    assert (dry_run.ok, dry_run.committed) == (True, False)
    assert dry_run.counts["schools"] == {"new": 5, "changed": 0, "unchanged": 0}
    assert School.objects.count() == 20

    # A class to go live with now: the demo teacher's subject, the demo student's grade. (At
    # 12:30, when the demo timetable has no class, so that T1001 is free whatever the day.)
    with timeutil.frozen_at(timeutil.at_local(timeutil.today(), dt.time(12, 30))):
        call_command("demo_class_now", stdout=io.StringIO())
    now_class = Session.objects.get(title=DEMO_CLASS_TITLE)
    assert (now_class.teacher.user.username, now_class.subject.name) == ("T1001", "语文")
    assert [grade.name for grade in now_class.grades.all()] == ["七年级"]


# The demo's logins as `make run` prints them, every time (names from the first rows of
# demo/teachers.xlsx and demo/students.xlsx, the school of FIRST_JUNIOR_HIGH in schools.csv).
DEMO_LOGINS_TABLE = [
    "role          login        password         who",
    "------------  -----------  ---------------  ------------------------",
    "教育局管理员  admin        eschool-admin    区管理员（演示）",
    "学校管理员    schooladmin  eschool-school   南京市鼓楼区梧桐初级中学",
    "教师          T1001        eschool-teacher  许梅萱",
    "学生          26000001     eschool-student  于行若",
    "家长          13721220717  eschool-parent   于丽萱",
]


def logins_table(printed: str) -> list[str]:
    lines = printed.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("role "))
    return lines[first : first + len(DEMO_LOGINS_TABLE)]


def check_demo_parenting(client) -> None:
    """The parenting course: public, and on the parenting page under each age group with the
    upcoming sessions of that group (there is one whatever the time of the week)."""
    from django.contrib.auth.models import AnonymousUser

    from eschool.classroom.selectors.courses import parenting_by_age_group

    course = Course.objects.get(kind="parenting")
    sessions = Session.objects.filter(kind="parenting").prefetch_related("grades")
    assert len(sessions) == 42
    assert {s.course_id for s in sessions} == {course.pk}
    assert {(s.stage, len(s.grades.all())) for s in sessions} == {("kindergarten", 1)}
    assert {s.ends_at - s.starts_at for s in sessions} == {dt.timedelta(minutes=30)}
    assert client.get(f"/courses/{course.pk}/").status_code == 200
    groups = parenting_by_age_group(user=AnonymousUser())
    assert [group.grade.name for group in groups] == ["幼儿园小班", "幼儿园中班", "幼儿园大班"]
    for group in groups:
        (entry,) = group.courses
        assert entry.course == course
        assert entry.upcoming
        assert {g.name for s in entry.upcoming for g in s.grades.all()} == {group.grade.name}
    page = client.get("/parenting/").content.decode()
    assert page.count(course.title) == 3
    assert "这个年龄段还没有课程" not in page and "No courses for this age group" not in page


def check_demo_tutoring(demo_student) -> None:
    from eschool.tutoring.models import Question
    from eschool.tutoring.room import transcript

    questions = Question.objects.filter(asker=demo_student).order_by("created_at")
    assert [(q.subject.name, q.text) for q in questions] == [
        ("语文", "《春》里“盼望着，盼望着”为什么要说两遍？"),
        ("语文", "记叙文的结尾怎么写才能点题？"),
    ]
    for question in questions:
        said = transcript(question.session)
        texts = [m for m in said["messages"] if m["kind"] == "text"]
        assert [m["author"] for m in texts] == [
            "student",
            "teacher",
            "student",
            "teacher",
            "student",
        ]
        assert len(said["board"]) == 2


def check_demo_replays(media_root: Path, printed: str, client) -> None:
    import av

    from eschool.live.media import read_playlist
    from eschool.live.models import Chapter, Recording

    replays = list(Recording.objects.select_related("session").order_by("pk"))
    assert len(replays) == 3
    assert "replays: 3 past sessions, 3 min of video each" in printed
    assert len({r.session_id for r in replays}) == 3
    for recording in replays:
        assert recording.status == Recording.Status.READY
        assert recording.session.ends_at <= timeutil.now()
        assert recording.duration_seconds == pytest.approx(180, abs=0.2)
        master = media_root / recording.hls_path
        assert recording.hls_path == f"replays/{recording.session_id}/{recording.pk}/master.m3u8"
        (variant,) = read_playlist(master).variants
        assert variant["RESOLUTION"] == "640x360"
        playlist = read_playlist(master.parent / variant["URI"])
        assert playlist.ended and playlist.playlist_type == "VOD"
        assert playlist.duration == pytest.approx(180, abs=0.2)
        assert playlist.target_duration >= max(s.duration for s in playlist.segments)
        assert (
            master.parent.joinpath(variant["URI"]).read_text().rstrip().endswith("#EXT-X-ENDLIST")
        )
    # The copies are whole: every segment of the last one decodes, with sound.
    last = media_root / replays[-1].hls_path
    media_playlist = last.parent / read_playlist(last).variants[0]["URI"]
    for segment in read_playlist(media_playlist).segments:
        with av.open(str(media_playlist.parent / segment.uri)) as container:
            assert container.streams.video and container.streams.audio
            assert sum(1 for _ in container.decode(video=0)) > 0
    # The demo teacher's replay has chapters.
    chapters = list(Chapter.objects.order_by("at_seconds").values_list("at_seconds", "title"))
    assert chapters == [(0, "课前导入"), (40, "新课讲解"), (100, "例题精讲"), (155, "课堂小结")]
    assert Chapter.objects.values("recording").distinct().count() == 1
    # …and the chat kept beside it, shown as the replay reaches each message.
    teachers = Chapter.objects.values_list("recording__session", flat=True).first()
    kept = client.get(f"/chat/sessions/{teachers}/messages.json").json()["messages"]
    assert [(m["offset_seconds"], m["kind"], m["teacher"]) for m in kept] == [
        (6.0, "chat", False),
        (20.0, "chat", False),
        (41.0, "question", False),
        (47.0, "chat", True),
        (88.0, "question", False),
        (110.0, "chat", False),
    ]
    assert [(m["pinned"], m["answered"]) for m in kept if m["kind"] == "question"] == [
        (True, True),
        (False, True),
    ]
    # load_demo says where they are, and the timetable marks them 回看 (under each grade).
    lines = printed.splitlines()
    listed = lines[lines.index("Replays (回看, marked on the timetable):") + 1 :][:3]
    sessions = sorted((r.session for r in replays), key=lambda s: (s.starts_at, s.pk))
    assert [line.rsplit(": ", 1)[1] for line in listed] == [
        f"http://127.0.0.1:8000/sessions/{s.pk}/" for s in sessions
    ]
    for day in {s.day for s in sessions}:
        page = client.get(f"/timetable/{day}/").content.decode()
        marks = sum(len(s.grades.all()) or 1 for s in sessions if s.day == day)
        assert page.count('<span class="badge replay">') == marks, day


def test_early_on_a_monday_the_demo_replays_go_to_last_weeks_copies(
    db, settings, tmp_path, district_admin, teacher, monkeypatch
):
    from eschool.classroom.services import session_create
    from eschool.core.demo import _demo_replay_sessions
    from eschool.org.models import Grade, Stage

    monday = dt.date(2026, 12, 7)
    for hour in (8, 9, 10, 11):
        session_create(
            actor=district_admin,
            starts_at=timeutil.at_local(monday, dt.time(hour, 0)),
            ends_at=timeutil.at_local(monday, dt.time(hour, 40)),
            stage=Stage.JUNIOR,
            grades=[Grade.objects.get(level=7)],
            title=f"第{hour}节",
            teacher=teacher.teacher,
        )
    with timeutil.frozen_at(timeutil.at_local(monday, dt.time(7, 0))):
        chosen = _demo_replay_sessions(district_admin)
        assert [(s.day, s.title) for s in chosen] == [
            (dt.date(2026, 11, 30), "第8节"),
            (dt.date(2026, 11, 30), "第9节"),
            (dt.date(2026, 11, 30), "第10节"),
        ]
        assert all(s.ends_at <= timeutil.now() for s in chosen)
        assert [g.level for g in chosen[0].grades.all()] == [7]
    # Later the same morning the sessions that ended are used, the teacher's first.
    with timeutil.frozen_at(timeutil.at_local(monday, dt.time(9, 50))):
        titles = [(s.day, s.title) for s in _demo_replay_sessions(district_admin)]
    assert titles[0] == (monday, "第9节")
    assert len(titles) == 3


def test_a_load_stopped_half_way_leaves_nothing_behind(db, tmp_path):
    # The demo's files with a student file that the importer refuses: schools and
    # teachers were already imported when it stops, and must not stay.
    folder = tmp_path / "demo"
    folder.mkdir()
    for name in ("schools.csv", "teachers.xlsx", "timetable_template.xlsx"):
        (folder / name).write_bytes((DEMO / name).read_bytes())
    book = openpyxl.Workbook()
    book.active.append(["学号", "姓名", "学校代码", "年级"])
    book.active.append(["26000001", "", "320106701", "七年级"])
    book.save(folder / "students.xlsx")

    with pytest.raises(DemoImportFailed) as failure:
        demo_load(folder=folder, replays=False)

    assert failure.value.filename == "students.xlsx"
    assert [(e.row, e.column) for e in failure.value.errors] == [(2, "姓名")]
    assert School.objects.count() == 0
    assert User.objects.count() == 0
    assert demo_state() == DemoState.EMPTY


def test_a_partly_loaded_demo_is_completed_by_the_next_run(db, settings, tmp_path):
    # What a first `make run` stopped after two files left behind (each file was
    # its own transaction before the whole load became one).
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in ("schools.csv", "teachers.xlsx"):
        assert import_file(DEMO / name).committed
    assert demo_state() == DemoState.PARTIAL

    out = io.StringIO()
    call_command("load_demo", "--if-empty", "--no-replays", stdout=out)

    assert "only partly loaded" in out.getvalue()
    assert (School.objects.count(), Teacher.objects.count(), Student.objects.count()) == (
        20,
        150,
        3000,
    )
    assert User.objects.filter(role=Role.PARENT).count() == 2880
    assert Session.objects.filter(day__gte=this_monday(timeutil.today())).count() == 432
    assert authenticate(username="schooladmin", password="eschool-school") is not None
    assert authenticate(username="T1001", password="eschool-teacher") is not None
    assert demo_state() == DemoState.LOADED
    again = io.StringIO()
    call_command("load_demo", "--if-empty", "--no-replays", stdout=again)
    assert "already loaded" in again.getvalue()
    assert Student.objects.count() == 3000


def test_no_shared_case_uses_a_school_code_of_the_demo():
    # A case imported on the demo must add its schools, never rename the demo's.
    demo_codes = {clean_code(row[0]) for row in _cells(DEMO / "schools.csv")[1:]}
    assert len(demo_codes) == 20
    case_codes = set()
    for name in ("schools_gbk.csv", "students_gbk.csv", "students_utf8_bom.csv", "teachers.xlsx"):
        rows = _cells(case_path(name))
        column = rows[0].index("学校代码")
        case_codes |= {clean_code(row[column]) for row in rows[1:]}
    assert case_codes == {"320106001", "320106002", "320106101", "320106201", "420200301"}
    assert not demo_codes & case_codes


def _cells(path: Path) -> list[list]:
    from eschool.org.importing.reader import read_table

    table = read_table(path)
    return [list(table.headers)] + [list(cells) for _number, cells in table.rows]


def _shared_cases():
    for name in ("schools_gbk.csv", "students_gbk.csv"):
        assert import_file(case_path(name)).committed


def _demo_schools_and_a_district_admin():
    assert import_file(DEMO / "schools.csv").committed
    make_user("chief", "区教育局管理员", Role.DISTRICT_ADMIN, is_staff=True)


def _a_district_admin_named_like_the_demos():
    make_user("admin", "王主任", Role.DISTRICT_ADMIN, is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "district",
    [_shared_cases, _demo_schools_and_a_district_admin, _a_district_admin_named_like_the_demos],
)
def test_a_real_districts_database_is_never_touched(db, district):
    district()
    before = snapshot()
    passwords = dict(User.objects.values_list("username", "password"))
    assert demo_state() == DemoState.OTHER

    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)

    assert out.getvalue().splitlines()[0] == (
        "This database holds schools or people that are not the demo's: it is a real "
        "district's, so the demo district is not loaded and nothing was changed."
    )
    assert "eschool-admin" not in out.getvalue()  # no demo logins for a real district
    # Asked for the demo outright, it refuses too.
    with pytest.raises(CommandError) as refused:
        call_command("load_demo", stdout=io.StringIO())
    assert refused.value.returncode == 1
    assert snapshot() == before
    assert dict(User.objects.values_list("username", "password")) == passwords
