"""The persona set used across the test suite (see ../shared/STYLE.md).

School A (320106001, home district) has a school admin, a teacher, and a
student in 七年级3班 whose parent is linked. School B (320106002) has another
student and that student's parent: the stranger's side. An outside learner
comes from the partner region 黄石市.
"""

import datetime as dt

import pytest

from eschool.accounts.models import Guardianship, OutsideLearner, Role, Student, Teacher, User
from eschool.org.models import Grade, Homeroom, Region, School, Stage, Subject

PASSWORD = "correct-horse-42"
# The personas (fixture names) who may not change the timetable or courses.
NOT_DISTRICT_ADMINS = [
    "school_admin",
    "teacher",
    "student",
    "parent",
    "stranger",
    "outside_learner",
]


def make_user(username, name, role, *, school=None, phone=None, password=PASSWORD, **extra):
    user = User(username=username, name=name, role=role, school=school, phone=phone, **extra)
    user.set_password(password)
    user.save()
    return user


@pytest.fixture
def home_region(db):
    return Region.objects.get(kind=Region.Kind.HOME)


@pytest.fixture
def partner_region(db):
    return Region.objects.get_or_create(name="黄石市", defaults={"kind": Region.Kind.PARTNER})[0]


@pytest.fixture
def school_a(home_region):
    return School.objects.create(
        code="320106001", name="南京市鼓楼区示范初级中学", stage=Stage.JUNIOR, region=home_region
    )


@pytest.fixture
def school_b(home_region):
    return School.objects.create(
        code="320106002", name="南京市鼓楼区实验初级中学", stage=Stage.JUNIOR, region=home_region
    )


@pytest.fixture
def grade7(db):
    return Grade.objects.get(level=7)


@pytest.fixture
def district_admin(db):
    return make_user("admin", "区管理员", Role.DISTRICT_ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def school_admin(school_a):
    return make_user("SA001", "学校管理员", Role.SCHOOL_ADMIN, school=school_a)


@pytest.fixture
def teacher(school_a, grade7):
    user = make_user("T0001", "陈老师", Role.TEACHER, school=school_a, phone="13900139000")
    profile = Teacher.objects.create(user=user, school=school_a, hire_date=dt.date(2010, 9, 1))
    profile.subjects.set(Subject.objects.filter(name__in=["语文", "数学"]))
    profile.grades.set([grade7])
    return user


@pytest.fixture
def student(school_a, grade7):
    homeroom = Homeroom.objects.get_or_create(school=school_a, grade=grade7, number=3)[0]
    user = make_user("00123", "张三", Role.STUDENT, school=school_a)
    Student.objects.create(user=user, school=school_a, grade=grade7, homeroom=homeroom, gender="M")
    return user


@pytest.fixture
def parent(student):
    user = make_user("13800138000", "张建国", Role.PARENT, phone="13800138000")
    Guardianship.objects.create(guardian=user, student=student.student)
    return user


@pytest.fixture
def stranger(school_b, grade7):
    """A student of another school, with a parent of their own."""
    homeroom = Homeroom.objects.get_or_create(school=school_b, grade=grade7, number=1)[0]
    user = make_user("01126", "王五", Role.STUDENT, school=school_b)
    Student.objects.create(user=user, school=school_b, grade=grade7, homeroom=homeroom)
    other_parent = make_user("13600136003", "王大伟", Role.PARENT, phone="13600136003")
    Guardianship.objects.create(guardian=other_parent, student=user.student)
    return user


@pytest.fixture
def outside_learner(partner_region, grade7):
    user = make_user("13700000001", "黄石学生", Role.OUTSIDE_LEARNER, phone="13700000001")
    OutsideLearner.objects.create(
        user=user, region=partner_region, school_name="黄石市示范初级中学", grade=grade7
    )
    return user


@pytest.fixture
def personas(district_admin, school_admin, teacher, student, parent, stranger, outside_learner):
    return {
        "district_admin": district_admin,
        "school_admin": school_admin,
        "teacher": teacher,
        "student": student,
        "parent": parent,
        "stranger": stranger,
        "outside_learner": outside_learner,
    }


# Sockets a running scenario opened (run_sockets closes them) ---------------------------------
_opened_sockets = []


def opened_socket(communicator):
    """Note a WebsocketCommunicator of the running scenario for run_sockets to close."""
    _opened_sockets.append(communicator)
    return communicator


def run_sockets(scenario, *args, timeout: float = 15):
    """Run `scenario(*args)` in its own event loop and close every socket it noted with
    opened_socket, also those the server closed and when it fails: a consumer runs until its
    client disconnects, and one left running is cancelled at the loop's close, which on Redis
    can hang the test (or leave the layer counting a receiver that breaks the next test)."""
    from asgiref.sync import async_to_sync

    async def wrapped():
        _opened_sockets.clear()
        try:
            return await scenario(*args)
        finally:
            for communicator in _opened_sockets:
                if not communicator.future.done():
                    await communicator.disconnect(timeout=timeout)
            _opened_sockets.clear()

    return async_to_sync(wrapped)()
