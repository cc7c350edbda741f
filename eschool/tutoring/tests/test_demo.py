"""The demo's evening tutoring: shifts on the next two evenings, two rated past sessions."""

import pytest

from eschool.org.models import Subject
from eschool.tutoring.demo import demo_tutoring
from eschool.tutoring.models import Question, RoomMessage, Shift, TutoringSession
from eschool.tutoring.room import transcript
from eschool.tutoring.selectors import teacher_record

from .conftest import MONDAY, TUESDAY, make_teacher

pytestmark = pytest.mark.django_db


def test_demo_tutoring(clock, teacher, student, school_a):
    clock.at("10:00")
    make_teacher("T8001", "王老师", school=school_a, subjects=("英语",))
    made = demo_tutoring(teacher_username=teacher.username, student_username=student.username)
    assert made == 4
    assert sorted(set(Shift.objects.values_list("day", flat=True))) == [MONDAY, TUESDAY]
    assert Shift.objects.get(teacher=teacher.teacher, day=MONDAY).band.name == "初中"
    record = teacher_record(teacher.teacher)
    assert (record.sessions, record.rating_count, record.rating_average) == (2, 2, 4.5)
    assert record.tutoring_minutes == 34  # 2 × 17 min (18 min after asking, after 50 s wait)
    # Questions of the teacher's first subject (语文 of 语文 and 数学), each with what was said
    # and drawn in the room.
    sessions = TutoringSession.objects.select_related("question__subject").order_by("started_at")
    assert [(s.question.subject.name, s.question.text) for s in sessions] == [
        ("语文", "《春》里“盼望着，盼望着”为什么要说两遍？"),
        ("语文", "记叙文的结尾怎么写才能点题？"),
    ]
    said = transcript(sessions[0])
    assert [(m["author"], m["kind"], m["body"].get("text")) for m in said["messages"]] == [
        ("system", "system", None),
        ("student", "text", "老师好，这句为什么要重复？"),
        ("teacher", "text", "你读一读，说一遍和说两遍，感觉有什么不同？"),
        ("student", "text", "说两遍好像更着急，更想春天快来。"),
        ("teacher", "text", "对，反复写出了盼春的急切心情，也让句子更有节奏。我在白板上画出来了。"),
        ("student", "text", "明白了，谢谢老师！"),
        ("system", "system", None),
    ]
    assert said["messages"][-1]["body"] == {"event": "ended", "by": "teacher"}
    assert [entry["key"] for entry in said["board"]] == ["teacher:demo-1", "teacher:demo-2"]
    assert list(sessions[1].room_messages.values_list("seq", flat=True)) == list(range(1, 10))
    # Loading again adds nothing.
    assert demo_tutoring(teacher_username=teacher.username, student_username=student.username) == 0
    assert TutoringSession.objects.count() == 2
    assert RoomMessage.objects.count() == 2 * 9


@pytest.mark.parametrize(
    "subject, questions",
    [
        ("数学", ["一元一次方程移项总是出错，怎么检查？", "这道几何题的辅助线怎么想到？"]),
        # A subject without questions of its own gets general ones.
        (
            "英语",
            ["今天作业里有一道题不会，能讲讲思路吗？", "这个知识点课上没听懂，能再讲一遍吗？"],
        ),
    ],
)
def test_the_past_questions_are_of_the_teachers_subject(
    clock, teacher, student, subject, questions
):
    clock.at("10:00")
    teacher.teacher.subjects.set(Subject.objects.filter(name=subject))
    demo_tutoring(teacher_username=teacher.username, student_username=student.username)
    asked = Question.objects.order_by("created_at").values_list("subject__name", "text")
    assert list(asked) == [(subject, text) for text in questions]
