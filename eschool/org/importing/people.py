"""Schools, teachers and students (with their parents) from spreadsheets."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eschool.accounts.models import Guardianship, Role, Student, Teacher, User
from eschool.accounts.passwords import new_nonce
from eschool.accounts.selectors import people_visible_to
from eschool.org.cleaning import clean_code, clean_date, clean_label, clean_phone, clean_text
from eschool.org.models import Grade, Homeroom, Region, School, Stage
from eschool.org.stages import grades_outside_stage

from .common import (
    Grades,
    Schools,
    Subjects,
    clean_gender,
    clean_homeroom_number,
    clean_login_number,
    clean_person_name,
    clean_stage,
    new_account,
)
from .framework import Column, Row, Spec, chunked

SCHOOL_CODE = ("学校代码", "学校编码")
SCHOOL_NAME = ("学校名称", "学校")


def _by_key(queryset_for_chunk, keys, key_field: str) -> dict:
    """Rows whose `key_field` is in `keys`, read in a few chunked queries."""
    found = {}
    for part in chunked(sorted(keys)):
        for item in queryset_for_chunk(part):
            found[item[key_field]] = item
    return found


# Schools ------------------------------------------------------------------------
@dataclass(slots=True)
class SchoolRecord:
    row: int
    code: str
    name: str
    stage: str
    region_name: str


class SchoolSpec(Spec):
    kind = "schools"
    columns = (
        Column("code", SCHOOL_CODE, required=True),
        Column("name", SCHOOL_NAME, required=True),
        Column("stage", ("学段",), required=True),
        Column("region", ("所属区域", "区域", "地区")),
    )
    signature = ("code", "name")
    record_kinds = ("schools", "regions")

    def prepare(self):
        self.seen: dict[str, int] = {}

    def clean_row(self, row: Row):
        code = row.clean(
            "code", clean_code, required_message=gettext_lazy("The school code is missing.")
        )
        name = row.clean(
            "name", clean_label, required_message=gettext_lazy("The school name is missing.")
        )
        stage = row.clean(
            "stage", clean_stage, required_message=gettext_lazy("The stage is missing.")
        )
        region = row.clean("region", clean_text) or settings.ESCHOOL_HOME_REGION
        if isinstance(name, str) and len(name) > 100:
            row.error("name", _("The name is longer than 100 characters."))
        if isinstance(code, str):
            if code in self.seen:
                row.error("code", _duplicate(self.seen[code]))
            else:
                self.seen[code] = row.number
        if not row.valid:
            return None
        return SchoolRecord(row.number, code, name, stage, region[:60])

    def plan(self, records):
        regions = {region.name: region for region in Region.objects.all()}
        self.new_regions = {}
        for record in records:
            if record.region_name not in regions and record.region_name not in self.new_regions:
                self.new_regions[record.region_name] = Region(
                    name=record.region_name, kind=Region.Kind.PARTNER
                )
        self.count("regions", "new", len(self.new_regions))
        self.count("regions", "unchanged", len({r.region_name for r in records} & set(regions)))
        existing = {school.code: school for school in School.objects.all()}
        self.creates, self.updates = [], []
        for record in records:
            region = regions.get(record.region_name) or self.new_regions[record.region_name]
            school = existing.get(record.code)
            if school is None:
                self.creates.append(
                    School(code=record.code, name=record.name, stage=record.stage, region=region)
                )
                self.count("schools", "new")
            elif (school.name, school.stage, school.region_id) != (
                record.name,
                record.stage,
                region.pk,
            ):
                school.name, school.stage, school.region = record.name, record.stage, region
                self.updates.append(school)
                self.count("schools", "changed")
            else:
                self.count("schools", "unchanged")

    def apply(self):
        Region.objects.bulk_create(self.new_regions.values())
        for school in self.creates:
            school.region = school.region  # picks up the region's new primary key
        School.objects.bulk_create(self.creates)
        School.objects.bulk_update(self.updates, ["name", "stage", "region"])


def _duplicate(first_row: int) -> str:
    return _("This appears twice in the file (first in row %(row)s).") % {"row": first_row}


def _nameable(actor, owners) -> set[int]:
    """The ids of the accounts in `owners` that a report to `actor` may name.

    A school administrator sees the names of their school's people and its
    students' parents (people_visible_to), not of everyone whose number a file
    happens to hold.
    """
    ids = sorted({owner["id"] for owner in owners})
    if actor is None:
        return set(ids)
    visible = set()
    for part in chunked(ids):
        visible.update(people_visible_to(actor).filter(pk__in=part).values_list("pk", flat=True))
    return visible


def _owner_of_phone(phone: str, owner: dict) -> dict:
    """The parameters that name the account already logging in with `phone`."""
    return {
        "phone": phone,
        "owner": owner["name"],
        "role": Role(owner["role"]).label if owner["role"] in Role.values else owner["role"],
        "number": owner["username"],
    }


def _phone_of_someone_unseen(phone: str) -> str:
    return _(
        "The mobile number %(phone)s is already the login of someone outside your school; "
        "check the number, or ask the district administrator."
    ) % {"phone": phone}


def _phone_taken_by_other_teacher(phone: str, owner: dict, name: str, *, named: bool) -> str:
    """Why a teacher row cannot have a mobile number another account logs in with."""
    if not named:
        return _phone_of_someone_unseen(phone)
    params = {**_owner_of_phone(phone, owner), "name": name}
    if owner["name"] != name:
        return (
            _(
                "The mobile number %(phone)s is already the login of %(owner)s (%(role)s "
                "%(number)s), which does not match the teacher's name %(name)s."
            )
            % params
            + " "
            + _(
                "If the two really share this number, leave the teacher's mobile number "
                "empty: a teacher also logs in with the staff number."
            )
        )
    return (
        _(
            "The mobile number %(phone)s is already the login of %(owner)s (%(role)s "
            "%(number)s); one mobile number logs in to one account only."
        )
        % params
    )


# Teachers -----------------------------------------------------------------------
@dataclass(slots=True)
class TeacherRecord:
    row: int
    number: str
    name: str
    school: School
    subjects: list | None
    grades: list | None
    phone: str | None
    hire_date: object


class TeacherSpec(Spec):
    kind = "teachers"
    columns = (
        Column("number", ("工号", "教师编号", "教工号"), required=True),
        Column("name", ("姓名", "教师姓名"), required=True),
        Column("school_code", SCHOOL_CODE, required=True),
        Column("school_name", SCHOOL_NAME),
        Column("subjects", ("任教学科", "学科")),
        Column("grades", ("任教年级",)),
        Column("phone", ("手机", "手机号", "手机号码", "联系电话")),
        Column("hire_date", ("入职日期",)),
    )
    signature = ("number",)
    record_kinds = ("teachers",)

    def prepare(self):
        self.schools = Schools(self.actor)
        self.grades = Grades()
        self.subjects = Subjects()
        self.seen: dict[str, int] = {}
        self.seen_phones: dict[str, int] = {}

    def clean_row(self, row: Row):
        number = row.clean(
            "number",
            clean_login_number,
            required_message=gettext_lazy("The staff number is missing."),
        )
        name = row.clean(
            "name", clean_person_name, required_message=gettext_lazy("The name is missing.")
        )
        school = self.schools.resolve(row)
        subjects = (
            row.clean("subjects", self.subjects.get_many) if "subjects" in self.headers else None
        )
        grades = row.clean("grades", self.grades.get_many) if "grades" in self.headers else None
        phone = row.clean("phone", clean_phone)
        hire_date = row.clean("hire_date", clean_date)
        if isinstance(number, str):
            if number in self.seen:
                row.error("number", _duplicate(self.seen[number]))
            else:
                self.seen[number] = row.number
        if isinstance(phone, str):
            if phone in self.seen_phones:
                row.error("phone", _duplicate(self.seen_phones[phone]))
            else:
                self.seen_phones[phone] = row.number
        if not row.valid:
            return None
        return TeacherRecord(
            row.number, number, name, school, subjects or [], grades or [], phone, hire_date
        )

    def plan(self, records):
        fields = ("id", "username", "name", "role", "phone", "school_id", "initial_password_nonce")
        users = _by_key(
            lambda part: User.objects.filter(username__in=part).values(*fields),
            {r.number for r in records},
            "username",
        )
        phones = _by_key(
            lambda part: User.objects.filter(phone__in=part).values(*fields),
            {r.phone for r in records if r.phone},
            "phone",
        )
        named = _nameable(self.actor, phones.values())
        ids = [user["id"] for user in users.values()]
        profiles, subjects, grades = {}, {}, {}
        for part in chunked(ids):
            for profile in Teacher.objects.filter(user_id__in=part).values(
                "user_id", "school_id", "hire_date"
            ):
                profiles[profile["user_id"]] = profile
            for user_id, subject_id in Teacher.subjects.through.objects.filter(
                teacher_id__in=part
            ).values_list("teacher_id", "subject_id"):
                subjects.setdefault(user_id, set()).add(subject_id)
            for user_id, grade_id in Teacher.grades.through.objects.filter(
                teacher_id__in=part
            ).values_list("teacher_id", "grade_id"):
                grades.setdefault(user_id, set()).add(grade_id)
        own = self.schools.own_school_id
        has = self.headers.__contains__
        self.new_users, self.new_profiles = [], []
        self.user_updates, self.profile_updates, self.new_profile_of_existing = [], [], []
        self.parent_conversions = []
        self.m2m: list[tuple[object, set, set, bool]] = []
        for record in records:
            user = users.get(record.number)
            owner = phones.get(record.phone) if record.phone else None
            if (
                user is None
                and owner is not None
                and owner["role"] == Role.PARENT
                and owner["name"] == record.name
            ):
                # Teachers are parents too. The parent account of the same name holding
                # this phone (made by an earlier student file) becomes the teacher's
                # account and keeps its children, as a student file read after the
                # teachers links the teacher: the same result in either order. A parent
                # still on the password printed on a homeroom sheet gets a new one: the
                # sheet went home with a child, and the account is now a teacher's.
                self.parent_conversions.append(
                    User(
                        id=owner["id"],
                        username=record.number,
                        name=record.name,
                        role=Role.TEACHER,
                        school_id=record.school.pk,
                        initial_password_nonce=(
                            new_nonce() if owner["initial_password_nonce"] else ""
                        ),
                    )
                )
                profile = Teacher(
                    user_id=owner["id"], school_id=record.school.pk, hire_date=record.hire_date
                )
                self.new_profile_of_existing.append(profile)
                self.m2m.append(
                    (profile, {s.pk for s in record.subjects}, {g.pk for g in record.grades}, True)
                )
                self.count("teachers", "new")
                continue
            if owner is not None and (user is None or owner["id"] != user["id"]):
                self._error(
                    record,
                    "phone",
                    record.phone,
                    _phone_taken_by_other_teacher(
                        record.phone, owner, record.name, named=owner["id"] in named
                    ),
                )
                continue
            subject_ids = {s.pk for s in record.subjects}
            grade_ids = {g.pk for g in record.grades}
            if user is None:
                account = new_account(
                    User,
                    username=record.number,
                    name=record.name,
                    role=Role.TEACHER,
                    school=record.school,
                    phone=record.phone,
                )
                profile = Teacher(user=account, school=record.school, hire_date=record.hire_date)
                self.new_users.append(account)
                self.new_profiles.append(profile)
                self.m2m.append((profile, subject_ids, grade_ids, True))
                self.count("teachers", "new")
                continue
            if user["role"] != Role.TEACHER:
                self._error(
                    record,
                    "number",
                    record.number,
                    _("This number belongs to an account that is not a teacher."),
                )
                continue
            profile = profiles.get(user["id"])
            current_school = profile["school_id"] if profile else user["school_id"]
            if own is not None and current_school not in (None, own):
                self._error(
                    record, "number", record.number, _("This teacher belongs to another school.")
                )
                continue
            changed = False
            phone = record.phone if has("phone") else user["phone"]
            if (user["name"], user["phone"], user["school_id"]) != (
                record.name,
                phone,
                record.school.pk,
            ):
                self.user_updates.append(
                    User(id=user["id"], name=record.name, phone=phone, school_id=record.school.pk)
                )
                changed = True
            hire_date = record.hire_date if has("hire_date") else (profile or {}).get("hire_date")
            teacher = Teacher(user_id=user["id"], school_id=record.school.pk, hire_date=hire_date)
            if profile is None:
                self.new_profile_of_existing.append(teacher)
                changed = True
            elif (profile["school_id"], profile["hire_date"]) != (record.school.pk, hire_date):
                self.profile_updates.append(teacher)
                changed = True
            old_subjects = subjects.get(user["id"], set())
            old_grades = grades.get(user["id"], set())
            new_subjects = subject_ids if has("subjects") else old_subjects
            new_grades = grade_ids if has("grades") else old_grades
            if (new_subjects, new_grades) != (old_subjects, old_grades) or profile is None:
                self.m2m.append((teacher, new_subjects, new_grades, profile is None))
                changed = True
            self.count("teachers", "changed" if changed else "unchanged")

    def _error(self, record, key, value, message):
        self.report.add(record.row, self.header_of(key), value, message)

    def apply(self):
        User.objects.bulk_create(self.new_users, batch_size=500)
        for profile in self.new_profiles:
            profile.user = profile.user
        Teacher.objects.bulk_create(
            self.new_profiles + self.new_profile_of_existing, batch_size=500
        )
        User.objects.bulk_update(self.user_updates, ["name", "phone", "school"], batch_size=500)
        User.objects.bulk_update(
            self.parent_conversions,
            ["username", "name", "role", "school", "initial_password_nonce"],
            batch_size=500,
        )
        Teacher.objects.bulk_update(self.profile_updates, ["school", "hire_date"], batch_size=500)
        replaced = [teacher.pk for teacher, _s, _g, new in self.m2m if not new]
        for part in chunked(replaced):
            Teacher.subjects.through.objects.filter(teacher_id__in=part).delete()
            Teacher.grades.through.objects.filter(teacher_id__in=part).delete()
        subject_links, grade_links = [], []
        for teacher, subject_ids, grade_ids, _new in self.m2m:
            subject_links += [
                Teacher.subjects.through(teacher_id=teacher.pk, subject_id=s) for s in subject_ids
            ]
            grade_links += [
                Teacher.grades.through(teacher_id=teacher.pk, grade_id=g) for g in grade_ids
            ]
        Teacher.subjects.through.objects.bulk_create(subject_links, batch_size=500)
        Teacher.grades.through.objects.bulk_create(grade_links, batch_size=500)


# Students -----------------------------------------------------------------------
@dataclass(slots=True)
class StudentRecord:
    row: int
    number: str
    name: str
    gender: str
    birth_date: object
    school: School
    grade: Grade
    homeroom_number: int | None
    parent_name: str
    parent_phone: str | None


class StudentSpec(Spec):
    kind = "students"
    columns = (
        Column("number", ("学号", "学籍号", "学生编号"), required=True),
        Column("name", ("姓名", "学生姓名"), required=True),
        Column("gender", ("性别",)),
        Column("birth_date", ("出生日期", "出生年月", "生日")),
        Column("school_code", SCHOOL_CODE, required=True),
        Column("school_name", SCHOOL_NAME),
        Column("grade", ("年级",), required=True),
        Column("homeroom", ("班级", "班号")),
        Column("parent_name", ("家长姓名", "监护人", "监护人姓名")),
        Column(
            "parent_phone",
            ("家长手机", "家长电话", "手机", "手机号", "联系电话", "监护人手机"),
        ),
    )
    signature = ("number",)
    record_kinds = ("students", "parents", "guardianships", "homerooms")

    def prepare(self):
        self.schools = Schools(self.actor)
        self.grades = Grades()
        self.seen: dict[str, int] = {}
        self.parent_names: dict[str, tuple[str, int]] = {}

    def clean_row(self, row: Row):
        number = row.clean(
            "number",
            clean_login_number,
            required_message=gettext_lazy("The student number is missing."),
        )
        name = row.clean(
            "name", clean_person_name, required_message=gettext_lazy("The name is missing.")
        )
        gender = row.clean("gender", clean_gender) or ""
        birth_date = row.clean("birth_date", clean_date)
        school = self.schools.resolve(row)
        grade = row.clean(
            "grade", self.grades.get, required_message=gettext_lazy("The grade is missing.")
        )
        if (
            isinstance(school, School)
            and isinstance(grade, Grade)
            and grades_outside_stage(stage=school.stage, grades=[grade])
        ):
            row.error(
                "grade",
                _("%(grade)s is not a grade of %(school)s (%(stage)s).")
                % {"grade": grade, "school": school.name, "stage": Stage(school.stage).label},
            )
        homeroom = row.clean("homeroom", clean_homeroom_number)
        parent_name = row.clean("parent_name", clean_person_name) or ""
        parent_phone = row.clean("parent_phone", clean_phone)
        if parent_name and parent_phone is None and row.blank("parent_phone"):
            row.error("parent_phone", _("The parent's mobile number is missing."))
        if isinstance(number, str):
            if number in self.seen:
                row.error("number", _duplicate(self.seen[number]))
            else:
                self.seen[number] = row.number
        if isinstance(parent_phone, str) and parent_name:
            first = self.parent_names.setdefault(parent_phone, (parent_name, row.number))
            if first[0] != parent_name:
                row.error(
                    "parent_name",
                    _("Row %(row)s gives this mobile number to %(name)s.")
                    % {"row": first[1], "name": first[0]},
                )
        if not row.valid:
            return None
        return StudentRecord(
            row.number, number, name, gender, birth_date, school, grade, homeroom,
            parent_name, parent_phone,
        )  # fmt: skip

    def _error(self, record, key, value, message):
        self.report.add(record.row, self.header_of(key), value, message)

    def plan(self, records):
        has = self.headers.__contains__
        own = self.schools.own_school_id
        user_fields = ("id", "username", "name", "role", "phone", "school_id")
        users = _by_key(
            lambda part: User.objects.filter(username__in=part).values(*user_fields),
            {r.number for r in records},
            "username",
        )
        student_ids = [u["id"] for u in users.values() if u["role"] == Role.STUDENT]
        profiles, guardians = {}, {}
        for part in chunked(student_ids):
            for profile in Student.objects.filter(user_id__in=part).values(
                "user_id", "school_id", "grade_id", "homeroom_id", "gender", "birth_date"
            ):
                profiles[profile["user_id"]] = profile
            for link in Guardianship.objects.filter(student_id__in=part).values(
                "student_id", "guardian_id", "guardian__role", "guardian__name",
                "guardian__phone", "guardian__username",
            ):  # fmt: skip
                guardians.setdefault(link["student_id"], []).append(link)

        # Homerooms: get or create by school + grade + number.
        homerooms = {}
        for part in chunked(sorted({r.school.pk for r in records})):
            for room in Homeroom.objects.filter(school_id__in=part).values(
                "id", "school_id", "grade_id", "number"
            ):
                homerooms[(room["school_id"], room["grade_id"], room["number"])] = room["id"]
        self.new_homerooms = {}
        # Existing classes the file names: counted as unchanged, so that a re-imported file's
        # preview accounts for every class in it.
        named_homerooms = set()

        def homeroom_of(record):
            if record.homeroom_number is None:
                return None
            key = (record.school.pk, record.grade.pk, record.homeroom_number)
            if key in homerooms:
                named_homerooms.add(key)
                return homerooms[key]
            if key not in self.new_homerooms:
                self.new_homerooms[key] = Homeroom(
                    school=record.school, grade=record.grade, number=record.homeroom_number
                )
            return self.new_homerooms[key]

        self.new_users, self.new_profiles, self.user_updates = [], [], []
        self.profile_updates, self.profile_creates_existing = [], []
        # Student (a new Student object or an existing user id) with its parent's phone.
        self.links: list[tuple[object, str, str, StudentRecord]] = []
        numbers = {r.number for r in records}
        for record in records:
            user = users.get(record.number)
            room = homeroom_of(record)
            if user is None:
                account = new_account(
                    User, username=record.number, name=record.name, role=Role.STUDENT,
                    school=record.school,
                )  # fmt: skip
                profile = Student(
                    user=account, school=record.school, grade=record.grade,
                    homeroom=room if isinstance(room, Homeroom) else None,
                    homeroom_id=room if isinstance(room, int) else None,
                    gender=record.gender, birth_date=record.birth_date,
                )  # fmt: skip
                self.new_users.append(account)
                self.new_profiles.append((profile, room))
                self.count("students", "new")
                if record.parent_phone:
                    self.links.append((profile, record.parent_phone, record.parent_name, record))
                continue
            if user["role"] != Role.STUDENT:
                self._error(
                    record,
                    "number",
                    record.number,
                    _("This number belongs to an account that is not a student."),
                )
                continue
            profile = profiles.get(user["id"])
            current_school = profile["school_id"] if profile else user["school_id"]
            if own is not None and current_school not in (None, own):
                self._error(
                    record, "number", record.number, _("This student belongs to another school.")
                )
                continue
            changed = False
            if (user["name"], user["school_id"]) != (record.name, record.school.pk):
                self.user_updates.append(
                    User(id=user["id"], name=record.name, school_id=record.school.pk)
                )
                changed = True
            old = profile or {}
            wanted = {
                "school_id": record.school.pk,
                "grade_id": record.grade.pk,
                "homeroom_id": room if has("homeroom") else old.get("homeroom_id"),
                "gender": record.gender if has("gender") else old.get("gender", ""),
                "birth_date": record.birth_date if has("birth_date") else old.get("birth_date"),
            }
            if profile is None or any(old[key] != value for key, value in wanted.items()):
                fields = dict(wanted)
                room_value = fields.pop("homeroom_id")
                student = Student(user_id=user["id"], **fields)
                (self.profile_creates_existing if profile is None else self.profile_updates).append(
                    (student, room_value)
                )
                changed = True
            self.count("students", "changed" if changed else "unchanged")
            if record.parent_phone:
                self.links.append((user["id"], record.parent_phone, record.parent_name, record))
        self.count("homerooms", "new", len(self.new_homerooms))
        self.count("homerooms", "unchanged", len(named_homerooms))
        self._plan_parents(guardians, numbers)

    def _plan_parents(self, guardians, numbers):
        phones = {phone for _s, phone, _n, _r in self.links}
        fields = ("id", "username", "name", "role", "phone", "school_id")
        by_phone = _by_key(
            lambda part: User.objects.filter(phone__in=part).values(*fields), phones, "phone"
        )
        by_username = _by_key(
            lambda part: User.objects.filter(username__in=part).values(*fields), phones, "username"
        )
        # The parent's name of each phone (rows that give one agree: clean_row checks), and
        # the guardians the file's existing students with that phone already have.
        names: dict[str, str] = {}
        linked: dict[str, set] = {}
        for student, phone, name, _record in self.links:
            if name:
                names.setdefault(phone, name)
            if not isinstance(student, Student):
                linked.setdefault(phone, set()).update(
                    link["guardian_id"] for link in guardians.get(student, [])
                )
        named = _nameable(self.actor, [*by_phone.values(), *by_username.values()])
        parents: dict[str, object] = {}  # phone -> existing user id or a new User
        refused: dict[str, str] = {}  # phone -> why none of its rows can be linked
        self.new_parents, self.parent_updates = [], []
        self.new_links = []
        for student, phone, _name, record in self.links:
            name = names.get(phone, "")
            if phone not in parents and phone not in refused:
                found = by_phone.get(phone) or by_username.get(phone)
                if found is not None:
                    problem = self._parent_problem(
                        found, phone, name, linked.get(phone, set()), named=found["id"] in named
                    )
                elif phone in numbers:
                    problem = _("This mobile number is also a student number in this file.")
                else:
                    problem = None
                if problem:
                    refused[phone] = problem
                else:
                    links = [] if isinstance(student, Student) else guardians.get(student, [])
                    parents[phone] = self._plan_parent(
                        found, phone, name, student, record, links, phones
                    )
            if phone in refused:
                # Every row with this phone: each must be corrected in the file.
                self._error(record, "parent_phone", phone, refused[phone])
                continue
            parent = parents[phone]
            if isinstance(student, Student) or isinstance(parent, User):
                self.new_links.append((parent, student))
                self.count("guardianships", "new")
            elif any(link["guardian_id"] == parent for link in guardians.get(student, [])):
                self.count("guardianships", "unchanged")
            else:
                self.new_links.append((parent, student))
                self.count("guardianships", "new")

    def _plan_parent(self, found, phone, name, student, record, links, phones):
        """The parent account of `phone`: an existing user's id, or a new User to create."""
        if found is None and not isinstance(student, Student):
            found = self._corrected_parent(links, name, phones)
            if found is not None:
                found = dict(found, corrected=True)
        if found is None:
            account = new_account(
                User, username=phone, phone=phone, role=Role.PARENT,
                name=name or f"{record.name}家长",
            )  # fmt: skip
            self.new_parents.append(account)
            self.count("parents", "new")
            return account
        update = {}
        if found.get("corrected"):
            update["phone"] = phone
            if found["username"] == found["phone"]:
                update["username"] = phone
        if found["role"] == Role.PARENT and name and found["name"] != name:
            update["name"] = name
        if update:
            self.parent_updates.append((found["id"], update))
            self.count("parents", "changed")
        else:
            self.count("parents", "unchanged")
        return found["id"]

    @staticmethod
    def _parent_problem(found, phone, name, linked_ids, *, named: bool) -> str | None:
        """Why the account already logging in with `phone` cannot be the parent `name`, or None.

        The mobile number is a parent's login, so an account holding it is the parent
        only when it is the same person: the same name (a parent, or a teacher who is
        also a parent), or a parent the file's child already has whose name the file
        corrects. Anything else would hand another person's account to this family.
        """
        if found["role"] == Role.STUDENT:
            return _("This mobile number is a student's login number.")
        if found["name"] == name:
            return None
        if found["role"] == Role.PARENT and (not name or found["id"] in linked_ids):
            return None
        if not named:
            return _phone_of_someone_unseen(phone)
        params = {**_owner_of_phone(phone, found), "name": name}
        if not name:
            return (
                _(
                    "The mobile number %(phone)s is already the login of %(owner)s (%(role)s "
                    "%(number)s); write the parent's name if this is the child's parent."
                )
                % params
            )
        problem = (
            _(
                "The mobile number %(phone)s is already the login of %(owner)s (%(role)s "
                "%(number)s), which does not match the parent's name %(name)s."
            )
            % params
        )
        if found["role"] != Role.TEACHER:
            return problem
        # A family's number that is also a teacher's: the teacher can do without it.
        return (
            problem
            + " "
            + _(
                "If the two really share this number, remove it from the teacher's row of "
                "the teachers' file and import that again: a teacher also logs in with the "
                "staff number."
            )
        )

    @staticmethod
    def _corrected_parent(links, name, phones_in_file):
        """The child's parent of the same name, whose number the corrected file changes."""
        same = [
            link for link in links
            if link["guardian__role"] == Role.PARENT and link["guardian__name"] == name
            and link["guardian__phone"] not in phones_in_file
        ]  # fmt: skip
        if len(same) != 1:
            return None
        link = same[0]
        return {
            "id": link["guardian_id"],
            "username": link["guardian__username"],
            "name": link["guardian__name"],
            "role": link["guardian__role"],
            "phone": link["guardian__phone"],
        }

    def apply(self):
        Homeroom.objects.bulk_create(self.new_homerooms.values(), batch_size=500)

        def room_id(room):
            return room.pk if isinstance(room, Homeroom) else room

        User.objects.bulk_create(self.new_users + self.new_parents, batch_size=500)
        profiles = []
        for profile, room in self.new_profiles:
            profile.user_id = profile.user.pk
            profile.homeroom_id = room_id(room)
            profiles.append(profile)
        for profile, room in self.profile_creates_existing:
            profile.homeroom_id = room_id(room)
            profiles.append(profile)
        Student.objects.bulk_create(profiles, batch_size=500)
        updates = []
        for profile, room in self.profile_updates:
            profile.homeroom_id = room_id(room)
            updates.append(profile)
        Student.objects.bulk_update(
            updates, ["school", "grade", "homeroom", "gender", "birth_date"], batch_size=500
        )
        User.objects.bulk_update(self.user_updates, ["name", "school"], batch_size=500)
        renamed = [User(id=pk, name=fields["name"]) for pk, fields in self.parent_updates
                   if set(fields) == {"name"}]  # fmt: skip
        User.objects.bulk_update(renamed, ["name"], batch_size=500)
        # A corrected parent's number is rare: one update each.
        for pk, fields in self.parent_updates:
            if set(fields) != {"name"}:
                User.objects.filter(pk=pk).update(**fields)
        Guardianship.objects.bulk_create(
            [
                Guardianship(
                    guardian_id=parent.pk if isinstance(parent, User) else parent,
                    student_id=student.user_id if isinstance(student, Student) else student,
                )
                for parent, student in self.new_links
            ],
            batch_size=500,
        )
