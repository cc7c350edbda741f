"""The demo district's evening tutoring: teachers on duty today and tomorrow, two past
rated sessions of the demo student (called by eschool.core.demo after the accounts exist),
and opening the service now to try it in the daytime (manage.py tutoring_open_now)."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from eschool.accounts.models import Role, Student, Teacher, User
from eschool.core import timeutil
from eschool.tutoring.models import Question, RoomMessage, Shift, TutoringSession
from eschool.tutoring.selectors import grade_bands, tutoring_settings
from eschool.tutoring.services.window import Window, window_next, window_of_day

# Teachers on duty each demo evening (the demo teacher first).
TEACHERS_PER_EVENING = 4

# The demo student's two past sessions with the demo teacher: a question in the teacher's
# subject and what was said in the room ("s" the student, "t" the teacher), by subject; other
# subjects get the general pair.
PAST_QUESTIONS = {
    "语文": [
        (
            "《春》里“盼望着，盼望着”为什么要说两遍？",
            [
                ("s", "老师好，这句为什么要重复？"),
                ("t", "你读一读，说一遍和说两遍，感觉有什么不同？"),
                ("s", "说两遍好像更着急，更想春天快来。"),
                ("t", "对，反复写出了盼春的急切心情，也让句子更有节奏。我在白板上画出来了。"),
                ("s", "明白了，谢谢老师！"),
            ],
        ),
        (
            "记叙文的结尾怎么写才能点题？",
            [
                ("s", "我的作文结尾总是很平淡。"),
                ("t", "先看看你的题目和开头，结尾要回到题目里的那个词。"),
                ("s", "题目是《那一次，我长大了》。"),
                ("t", "那结尾就写这件事让你懂得了什么，用一句话点出“长大”。"),
                ("s", "好的，我试着改一改。"),
            ],
        ),
    ],
    "数学": [
        (
            "一元一次方程移项总是出错，怎么检查？",
            [
                ("s", "老师，3x + 5 = 2x − 1 我算出来 x = 4，对吗？"),
                ("t", "把 x = 4 代回原方程，两边相等吗？"),
                ("s", "左边 17，右边 7，不相等。"),
                ("t", "移项要变号：3x − 2x = −1 − 5，所以 x = −6。每次算完都代回去检查。"),
                ("s", "懂了，谢谢老师！"),
            ],
        ),
        (
            "这道几何题的辅助线怎么想到？",
            [
                ("s", "要证两条线段相等，我不知道从哪里下手。"),
                ("t", "想一想：证线段相等，常用什么方法？"),
                ("s", "证它们所在的三角形全等。"),
                ("t", "对，图里还缺一个三角形，连一条线把它补出来，我画在白板上了。"),
                ("s", "看到了，这样就能用边角边了。"),
            ],
        ),
    ],
}
GENERAL_QUESTIONS = [
    (
        "今天作业里有一道题不会，能讲讲思路吗？",
        [
            ("s", "老师好，这道题我读了好几遍还是没思路。"),
            ("t", "先说说题目已经告诉了我们什么，要求的是什么。"),
            ("s", "已知两个条件，要求第三个。"),
            ("t", "好，把已知和所求写在白板上，再找它们之间的联系。"),
            ("s", "我知道怎么做了，谢谢老师！"),
        ],
    ),
    (
        "这个知识点课上没听懂，能再讲一遍吗？",
        [
            ("s", "老师，今天课上讲的内容我没跟上。"),
            ("t", "没关系，我们从一个简单的例子开始。"),
            ("s", "好的。"),
            ("t", "你看白板上这个例子，先自己试一试。"),
            ("s", "做出来了，原来是这样！"),
        ],
    ),
]
PAST_RATINGS = [(5, "老师讲得很清楚，谢谢！"), (4, "有帮助")]
# What the teacher drew on the board in each: an underline and a circle around it.
PAST_STROKES = [
    [[0.1, 0.3], [0.5, 0.3], [0.9, 0.3]],
    [[0.5, 0.45], [0.64, 0.52], [0.64, 0.68], [0.5, 0.75], [0.36, 0.68], [0.36, 0.52], [0.5, 0.45]],
]


def _questions_in(subject_name: str) -> list:
    return PAST_QUESTIONS.get(subject_name, GENERAL_QUESTIONS)


def _past_room(session: TutoringSession, chat: list) -> None:
    """What the room of an ended demo session holds, as the room would have stored it:
    its start, the chat a minute apart, the teacher's drawing, its end by the teacher."""
    start, teacher = session.started_at, session.teacher.user
    said = [
        (session.student if who == "s" else teacher, RoomMessage.Kind.TEXT, {"text": text})
        for who, text in chat
    ]
    drawn = [
        (
            teacher,
            RoomMessage.Kind.STROKE,
            {"id": f"demo-{number}", "color": "#d93025", "width": 0.006, "erase": False}
            | {"points": points},
        )
        for number, points in enumerate(PAST_STROKES, start=1)
    ]
    # The teacher draws before the fourth message, which points at the board.
    rows = [
        (None, RoomMessage.Kind.SYSTEM, {"event": "started"}),
        *said[:3],
        *drawn,
        *said[3:],
        (None, RoomMessage.Kind.SYSTEM, {"event": "ended", "by": "teacher"}),
    ]
    RoomMessage.objects.bulk_create(
        RoomMessage(
            session=session,
            seq=seq,
            author=author,
            kind=kind,
            body=body,
            created_at=min(start + dt.timedelta(minutes=seq), session.ended_at),
        )
        for seq, (author, kind, body) in enumerate(rows, start=1)
    )


def _band_for(teacher: Teacher):
    levels = list(teacher.grades.values_list("level", flat=True))
    bands = list(grade_bands())
    for band in bands:
        if any(band.low <= level <= band.high for level in levels):
            return band
    return next(band for band in bands if band.name == "初中")


def _teachers_on_duty(demo_teacher: Teacher) -> list[Teacher]:
    """The demo teacher and a few colleagues of the same school who teach a subject."""
    others = list(
        Teacher.objects.filter(subjects__isnull=False, school=demo_teacher.school)
        .exclude(pk=demo_teacher.pk)
        .distinct()
        .order_by("pk")[: TEACHERS_PER_EVENING - 1]
    )
    return [demo_teacher, *others]


def _on_duty(teacher: Teacher, day: dt.date) -> tuple[Shift | None, bool]:
    """(`teacher`'s shift on `day` for their first two subjects, whether it was made now);
    (None, False) for a teacher without subjects."""
    subjects = list(teacher.subjects.all()[:2])
    if not subjects:
        return None, False
    shift, created = Shift.objects.get_or_create(
        teacher=teacher, day=day, defaults={"band": _band_for(teacher)}
    )
    if created:
        shift.subjects.set(subjects)
    return shift, created


def demo_tutoring(*, teacher_username: str, student_username: str) -> int:
    """Shifts for the next two service evenings and two rated past sessions; the shift count."""
    demo_teacher = Teacher.objects.get(user__username=teacher_username)
    teachers = _teachers_on_duty(demo_teacher)
    evenings = []
    at = timeutil.now()
    while len(evenings) < 2:
        window = window_next(at)
        if window is None:
            break
        evenings.append(window.day)
        at = window.closes_at
    made = 0
    for day in evenings:
        for teacher in teachers:
            made += int(_on_duty(teacher, day)[1])
    student_user = User.objects.get(username=student_username, role=Role.STUDENT)
    student = Student.objects.get(user=student_user)
    subject = demo_teacher.subjects.first()
    if subject is not None and not TutoringSession.objects.filter(student=student_user).exists():
        for days_ago, (text, chat), (rating, comment) in zip(
            (3, 1), _questions_in(subject.name), PAST_RATINGS, strict=True
        ):
            asked = timeutil.at_local(
                timeutil.today() - dt.timedelta(days=days_ago), dt.time(19, 40)
            )
            question = Question.objects.create(
                asker=student_user,
                subject=subject,
                grade=student.grade,
                text=text,
                status=Question.Status.CLOSED,
                created_at=asked,
                waiting_since=asked,
                matched_at=asked + dt.timedelta(seconds=50),
                closed_at=asked + dt.timedelta(minutes=18),
            )
            session = TutoringSession.objects.create(
                question=question,
                teacher=demo_teacher,
                student=student_user,
                started_at=question.matched_at,
                ended_at=question.closed_at,
                ended_by=demo_teacher.user,
                rating=rating,
                comment=comment,
                rated_at=question.closed_at,
            )
            _past_room(session, chat)
    return made


# Trying evening tutoring in the daytime ---------------------------------------------------

OPEN_NOW_HOURS = 2
LAST_MINUTE = dt.time(23, 59)


@dataclass
class OpenNow:
    window: Window
    before: str  # the window as it was, e.g. "19:30–21:30, 1,2,3,4,5,6"
    shifts: list[Shift]
    holidays_ignored: bool


def tutoring_open_now(*, teachers: list[Teacher], hours: int = OPEN_NOW_HOURS) -> OpenNow:
    """For a demo or a developer: today's service window covers the next `hours` (from this
    minute, at the latest until 23:59) and `teachers` are on duty tonight.

    It rewrites the district's window for every day (the settings page sets it back);
    today becomes a service day, and a day without classes no longer stops the service.
    Raises ValueError when less than a quarter of an hour is left today.
    """
    at = timeutil.now()
    local = timeutil.local(at)
    start = local.time().replace(second=0, microsecond=0)
    end_at = local.replace(second=0, microsecond=0) + dt.timedelta(hours=hours)
    end = LAST_MINUTE if end_at.date() != local.date() else end_at.time()
    if dt.datetime.combine(local.date(), end) - dt.datetime.combine(local.date(), start) < (
        dt.timedelta(minutes=15)
    ):
        raise ValueError("less than a quarter of an hour is left today")
    row = tutoring_settings()
    before = f"{row.window_start:%H:%M}–{row.window_end:%H:%M}, {row.weekdays}"
    today = timeutil.today(at)
    weekdays = row.weekday_numbers | {today.isoweekday()}
    with transaction.atomic():
        row.window_start, row.window_end = start, end
        row.weekdays = ",".join(str(day) for day in sorted(weekdays))
        holidays_ignored = row.holidays_off and window_of_day(today, settings_row=row) is None
        if holidays_ignored:
            row.holidays_off = False
        row.save(update_fields=["window_start", "window_end", "weekdays", "holidays_off"])
        shifts = [shift for teacher in teachers if (shift := _on_duty(teacher, today)[0])]
    return OpenNow(window_of_day(today), before, shifts, holidays_ignored)


def demo_teachers_on_duty() -> list[Teacher]:
    """The demo's teacher (T1001) and a few colleagues, as on the demo's evenings."""
    from eschool.core.demo import demo_logins

    login = demo_logins()[2].login
    return _teachers_on_duty(Teacher.objects.get(user__username=login))
