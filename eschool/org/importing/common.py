"""Lookups shared by the kinds of file: grades, subjects, stages, schools, new accounts."""

import re
import secrets

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.utils.translation import gettext as _

from eschool.accounts.passwords import new_nonce
from eschool.org.cleaning import CleaningError, clean_code, clean_label, clean_text, split_list
from eschool.org.models import Grade, School, Subject
from eschool.org.reference import GRADE_ALIASES, STAGE_NAMES, SUBJECT_ALIASES

_CHINESE_NUMBERS = {
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
    "十一": 11, "十二": 12, "十三": 13, "十四": 14, "十五": 15, "十六": 16, "十七": 17,
    "十八": 18, "十九": 19, "二十": 20,
}  # fmt: skip
_DIGIT_GRADE = re.compile(r"^(\d{1,2})年级$")
_HOMEROOM = re.compile(r"^.*?[(]?(\d{1,3})[)]?班?$")
_CHINESE_HOMEROOM = re.compile(r"^[(]?([一二三四五六七八九十]{1,3})[)]?班$")


class Grades:
    """Grade names and their aliases (初一 = 七年级), loaded once."""

    def __init__(self):
        grades = list(Grade.objects.all())
        self.by_level = {grade.level: grade for grade in grades}
        self.by_name = {grade.name: grade for grade in grades}
        for alias, level in GRADE_ALIASES.items():
            if level in self.by_level:
                self.by_name.setdefault(alias, self.by_level[level])

    def get(self, value) -> Grade:
        name = clean_text(value).replace(" ", "")
        if name in self.by_name:
            return self.by_name[name]
        match = _DIGIT_GRADE.match(name)
        if match and int(match[1]) in self.by_level and int(match[1]) <= 9:
            return self.by_level[int(match[1])]
        raise CleaningError(_("This is not a grade; write it like 七年级 or 初一."))

    def get_many(self, value) -> list[Grade]:
        grades = []
        for item in split_list(value):
            grade = self.get(item)
            if grade not in grades:
                grades.append(grade)
        return grades


class Subjects:
    def __init__(self):
        self.by_name = {subject.name: subject for subject in Subject.objects.all()}
        for alias, name in SUBJECT_ALIASES.items():
            if name in self.by_name:
                self.by_name.setdefault(alias, self.by_name[name])
                self.by_name.setdefault(alias.lower(), self.by_name[name])

    def get(self, value) -> Subject:
        name = clean_text(value).replace(" ", "")
        subject = self.by_name.get(name) or self.by_name.get(name.lower())
        if subject is None:
            raise CleaningError(
                _("%(value)s is not a subject of the district's list.") % {"value": name}
            )
        return subject

    def get_many(self, value) -> list[Subject]:
        subjects = []
        for item in split_list(value):
            subject = self.get(item)
            if subject not in subjects:
                subjects.append(subject)
        return subjects


def clean_stage(value) -> str:
    name = clean_text(value).replace(" ", "")
    if name in STAGE_NAMES:
        return STAGE_NAMES[name]
    raise CleaningError(_("The stage is one of 幼儿园, 小学, 初中 or 高中."))


def clean_gender(value) -> str:
    text = clean_text(value).replace(" ", "").lower()
    if text in {"男", "m", "male", "男性"}:
        return "M"
    if text in {"女", "f", "female", "女性"}:
        return "F"
    raise CleaningError(_("The gender is 男 or 女."))


def clean_homeroom_number(value) -> int:
    """The class number: 3, 3班, (3)班, 七年级3班 or 三班 are all class 3."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = clean_text(value).replace(" ", "")
        match = _HOMEROOM.match(text)
        chinese = _CHINESE_HOMEROOM.match(text)
        if match:
            number = int(match[1])
        elif chinese and chinese[1] in _CHINESE_NUMBERS:
            number = _CHINESE_NUMBERS[chinese[1]]
        else:
            number = 0
    if not 1 <= number <= 999:
        raise CleaningError(_("The class is a number such as 3 or 3班."))
    return number


def clean_login_number(value) -> str:
    """A student or staff number: digits and letters, leading zeros kept."""
    text = clean_code(value)
    if not re.fullmatch(r"[0-9A-Z][0-9A-Z_-]{0,39}", text):
        raise CleaningError(_("A number here has only digits and letters, like 00123 or T0001."))
    return text


def clean_person_name(value) -> str:
    from eschool.org.cleaning import clean_name

    name = clean_name(value)
    if len(name) > 60:
        raise CleaningError(_("The name is longer than 60 characters."))
    return name


class Schools:
    """Schools by code and by name, and the rule of who may import for which school."""

    def __init__(self, actor):
        self.actor = actor
        schools = list(School.objects.all())
        self.by_code = {school.code: school for school in schools}
        names: dict[str, list[School]] = {}
        for school in schools:
            names.setdefault(school.name, []).append(school)
        self.by_name = {name: found[0] for name, found in names.items() if len(found) == 1}

    @property
    def own_school_id(self) -> int | None:
        if self.actor is not None and getattr(self.actor, "role", None) == "school_admin":
            return self.actor.school_id
        return None

    def resolve(self, row, *, code_key="school_code", name_key="school_name"):
        """The row's school, or None with the problem reported on the row."""
        if not row.blank(code_key):
            try:
                code = clean_code(row.raw(code_key))
            except CleaningError as error:
                row.error(code_key, error.message)
                return None
            school = self.by_code.get(code)
            if school is None:
                row.error(code_key, _("No school has the code %(code)s.") % {"code": code})
                return None
            key = code_key
        elif name_key and not row.blank(name_key):
            name = clean_label(row.raw(name_key))
            school = self.by_name.get(name)
            if school is None:
                row.error(
                    name_key, _("No school is called %(name)s; give its code.") % {"name": name}
                )
                return None
            key = name_key
        else:
            row.error(code_key, _("The school code is missing."))
            return None
        if self.own_school_id is not None and school.pk != self.own_school_id:
            # Named, so that the person sees which rows to take out of the file.
            own = next((s for s in self.by_code.values() if s.pk == self.own_school_id), None)
            row.error(
                key,
                _(
                    "This row is for %(school)s; you may import only the people of your own "
                    "school (%(own)s). Remove the row, or ask the district administrator to "
                    "import the file."
                )
                % {"school": school.name, "own": own.name if own else ""},
            )
            return None
        return school


def new_account(user_model, **fields):
    """An imported account: an initial password to print, changed at first login."""
    user = user_model(must_change_password=True, initial_password_nonce=new_nonce(), **fields)
    # What set_unusable_password() stores ("!" and 40 random characters), drawn in
    # one call: get_random_string() picks character by character, which is most
    # of the time of importing 40,000 accounts.
    user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)
    return user
