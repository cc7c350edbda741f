"""Who sees whom: accounts.selectors.people_visible_to and people_resettable_by, per persona."""

import pytest

from eschool.accounts.selectors import people_resettable_by, people_visible_to

EVERYONE = [
    "00123",  # student, school A
    "01126",  # stranger, a student of school B
    "13600136003",  # the stranger's parent
    "13700000001",  # outside learner
    "13800138000",  # parent of the student
    "SA001",  # school admin of school A
    "T0001",  # teacher, school A
    "admin",  # district admin
]

VISIBLE = {
    "district_admin": EVERYONE,
    "school_admin": ["00123", "13800138000", "SA001", "T0001"],
    "teacher": ["T0001"],
    "student": ["00123"],
    "parent": ["00123", "13800138000"],
    "stranger": ["01126"],
    "outside_learner": ["13700000001"],
}

RESETTABLE = {
    "district_admin": EVERYONE,
    "school_admin": ["00123", "13800138000", "T0001"],
    "teacher": [],
    "student": [],
    "parent": [],
    "stranger": [],
    "outside_learner": [],
}


def usernames(queryset):
    return sorted(queryset.values_list("username", flat=True))


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_persona_sees_exactly_the_people_the_rules_allow(personas, persona):
    assert usernames(people_visible_to(personas[persona])) == VISIBLE[persona]


@pytest.mark.parametrize("persona", sorted(RESETTABLE))
def test_each_persona_may_reset_exactly_the_passwords_the_rules_allow(personas, persona):
    assert usernames(people_resettable_by(personas[persona])) == RESETTABLE[persona]


def test_an_anonymous_visitor_sees_nobody(personas):
    from django.contrib.auth.models import AnonymousUser

    assert usernames(people_visible_to(AnonymousUser())) == []
    assert usernames(people_resettable_by(AnonymousUser())) == []


def test_a_school_admin_without_a_school_sees_only_themselves(personas):
    admin = personas["school_admin"]
    admin.school = None
    admin.save(update_fields=["school"])
    assert usernames(people_visible_to(admin)) == ["SA001"]
    assert usernames(people_resettable_by(admin)) == []


@pytest.fixture
def booked_class(personas, teachers_class):
    """The teacher's class, booked by the student; the outside learner is waitlisted."""
    teachers_class.book(personas["student"])
    teachers_class.book(personas["outside_learner"], "waitlisted")
    return teachers_class


def test_a_teacher_sees_the_learners_booked_on_their_sessions(personas, booked_class):
    assert usernames(people_visible_to(personas["teacher"])) == ["00123", "13700000001", "T0001"]
    # Booking gives the teacher no one else: not the student's parent, nor other students.
    assert usernames(people_resettable_by(personas["teacher"])) == []


def test_a_cancelled_booking_no_longer_shows_the_learner(personas, booked_class):
    booked_class.bookings.filter(learner=personas["student"]).update(status="cancelled")
    assert usernames(people_visible_to(personas["teacher"])) == ["13700000001", "T0001"]


def test_a_booking_with_another_teacher_shows_nothing(personas, booked_class):
    from eschool.core.testing import make_user

    other = make_user("T0002", "李老师", "teacher", school=personas["teacher"].school)
    assert usernames(people_visible_to(other)) == ["T0002"]
