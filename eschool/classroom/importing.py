"""The daily timetable (每日课程表) from a spreadsheet, through the org import framework.

A row is one session: date, start and end (Asia/Shanghai), stage, grade(s),
subject, title, the teacher's staff number and the kind (课堂, 讲坛, 育儿, 活动).
Re-importing finds a session by (teacher, start), or by (title, start) when it
has no teacher, so a corrected file updates sessions instead of doubling them.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eschool.accounts.models import Teacher
from eschool.classroom.models import Session
from eschool.core.timeutil import at_local, district_zone, now
from eschool.org.cleaning import (
    CleaningError,
    clean_code,
    clean_date,
    clean_label,
    clean_text,
    clean_time,
)
from eschool.org.importing import Column, Row, Spec, chunked
from eschool.org.importing.common import Grades, Subjects, clean_stage
from eschool.org.stages import stage_grades_error

KINDS = {
    "课堂": Session.Kind.CLASS,
    "课程": Session.Kind.CLASS,
    "讲坛": Session.Kind.LECTURE,
    "讲座": Session.Kind.LECTURE,
    "育儿": Session.Kind.PARENTING,
    "家长课堂": Session.Kind.PARENTING,
    "活动": Session.Kind.EVENT,
}
KIND_NAMES = {
    Session.Kind.CLASS: "课堂",
    Session.Kind.LECTURE: "讲坛",
    Session.Kind.PARENTING: "育儿",
    Session.Kind.EVENT: "活动",
}


def clean_kind(value) -> str:
    text = clean_text(value).replace(" ", "")
    if text in KINDS:
        return KINDS[text]
    if text in Session.Kind.values:
        return text
    raise CleaningError(_("The kind is one of 课堂, 讲坛, 育儿 or 活动."))


@dataclass(slots=True)
class SessionRecord:
    row: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    stage: str
    grade_ids: set
    subject_id: int | None
    title: str
    teacher_id: int | None
    kind: str
    description: str | None


class TimetableSpec(Spec):
    kind = "timetable"
    columns = (
        Column("date", ("日期",), required=True),
        Column("starts", ("开始时间",), required=True),
        Column("ends", ("结束时间",), required=True),
        Column("stage", ("学段",), required=True),
        Column("grades", ("年级",), required=True),
        Column("subject", ("学科",)),
        Column("title", ("课题", "标题", "课程名称"), required=True),
        Column("teacher", ("授课教师工号", "教师工号", "工号")),
        Column("kind", ("类型",)),
        Column("description", ("简介", "说明")),
    )
    signature = ("date", "starts")
    record_kinds = ("sessions",)

    def check_actor(self):
        if self.actor is not None and getattr(self.actor, "role", None) != "district_admin":
            return _("Only the district administrator imports the timetable.")
        return None

    def prepare(self):
        self.grades = Grades()
        self.subjects = Subjects()
        self.teachers = {
            username: pk
            for pk, username in Teacher.objects.values_list("user_id", "user__username")
        }
        self.seen: dict[tuple, int] = {}

    def clean_row(self, row: Row):
        day = row.clean("date", clean_date, required_message=gettext_lazy("The date is missing."))
        starts = row.clean(
            "starts", clean_time, required_message=gettext_lazy("The start time is missing.")
        )
        ends = row.clean(
            "ends", clean_time, required_message=gettext_lazy("The end time is missing.")
        )
        stage = row.clean(
            "stage", clean_stage, required_message=gettext_lazy("The stage is missing.")
        )
        grades = row.clean(
            "grades", self.grades.get_many, required_message=gettext_lazy("The grade is missing.")
        )
        if isinstance(stage, str) and isinstance(grades, list):
            # The session form's rule and words, so a file says what the form would.
            wrong_grades = stage_grades_error(stage=stage, grades=grades)
            if wrong_grades:
                row.error("grades", wrong_grades)
        kind = row.clean("kind", clean_kind) or Session.Kind.CLASS
        subject = row.clean("subject", self.subjects.get)
        title = row.clean(
            "title", clean_label, required_message=gettext_lazy("The title is missing.")
        )
        description = (
            row.clean("description", clean_label) if "description" in self.headers else None
        )
        teacher_id = None
        if not row.blank("teacher"):
            number = row.clean("teacher", clean_code)
            if isinstance(number, str):
                teacher_id = self.teachers.get(number)
                if teacher_id is None:
                    row.error(
                        "teacher",
                        _("No teacher has the staff number %(number)s.") % {"number": number},
                    )
        if subject is None and row.blank("subject") and kind == Session.Kind.CLASS:
            row.error("subject", _("A class needs a subject."))
        if isinstance(title, str) and len(title) > 200:
            row.error("title", _("The title is longer than 200 characters."))
        if not row.valid:
            return None
        starts_at = at_local(day, starts)
        ends_at = at_local(day, ends)
        if ends_at <= starts_at:
            row.error("ends", _("The session ends before it starts."))
            return None
        identity = (teacher_id, starts_at) if teacher_id else (title, starts_at)
        if identity in self.seen:
            key = "teacher" if teacher_id else "title"
            row.error(
                key,
                _("This session appears twice in the file (first in row %(row)s).")
                % {"row": self.seen[identity]},
            )
            return None
        self.seen[identity] = row.number
        return SessionRecord(
            row.number, starts_at, ends_at, stage, {g.pk for g in grades},
            subject.pk if subject else None, title, teacher_id, kind, description,
        )  # fmt: skip

    def plan(self, records):
        days = sorted({r.starts_at.astimezone(district_zone()).date() for r in records})
        existing = {}
        for part in chunked(days):
            for session in Session.objects.filter(day__in=part):
                existing[(session.teacher_id, session.starts_at)] = session
                if session.teacher_id is None:
                    existing[(session.title, session.starts_at)] = session
        grade_links = {}
        ids = [s.pk for s in existing.values()]
        for part in chunked(ids):
            for session_id, grade_id in Session.grades.through.objects.filter(
                session_id__in=part
            ).values_list("session_id", "grade_id"):
                grade_links.setdefault(session_id, set()).add(grade_id)
        self.creates, self.updates, self.grade_sets = [], [], []
        moment = now()
        for record in records:
            key = (
                (record.teacher_id, record.starts_at)
                if record.teacher_id
                else (record.title, record.starts_at)
            )
            session = existing.get(key)
            wanted = {
                "ends_at": record.ends_at,
                "stage": record.stage,
                "subject_id": record.subject_id,
                "title": record.title,
                "kind": record.kind,
                "day": record.starts_at.astimezone(district_zone()).date(),
            }
            if record.description is not None:
                wanted["description"] = record.description
            if session is None:
                session = Session(
                    teacher_id=record.teacher_id, starts_at=record.starts_at, **wanted
                )
                self.creates.append(session)
                self.grade_sets.append((session, record.grade_ids, True))
                self.count("sessions", "new")
                continue
            changed = False
            if any(getattr(session, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(session, name, value)
                session.updated_at = moment
                self.updates.append(session)
                changed = True
            if grade_links.get(session.pk, set()) != record.grade_ids:
                self.grade_sets.append((session, record.grade_ids, False))
                changed = True
            self.count("sessions", "changed" if changed else "unchanged")

    def apply(self):
        Session.objects.bulk_create(self.creates, batch_size=500)
        fields = [
            "ends_at",
            "stage",
            "subject",
            "title",
            "kind",
            "day",
            "description",
            "updated_at",
        ]
        Session.objects.bulk_update(self.updates, fields, batch_size=500)
        through = Session.grades.through
        replaced = [session.pk for session, _g, new in self.grade_sets if not new]
        for part in chunked(replaced):
            through.objects.filter(session_id__in=part).delete()
        through.objects.bulk_create(
            [
                through(session_id=session.pk, grade_id=grade_id)
                for session, grade_ids, _new in self.grade_sets
                for grade_id in sorted(grade_ids)
            ],
            batch_size=500,
        )
