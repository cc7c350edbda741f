"""One access helper per kind of object: a student, a child, a homeroom, a school.

Whatever someone may not see is a 404, so guessing ids tells nothing.
"""

import pytest
from django.http import Http404

from eschool.accounts.selectors import (
    child_get_for_parent,
    homeroom_get_for_admin,
    school_get_for_admin,
    student_get_for_user,
)

PERSONAS = [
    "district_admin",
    "school_admin",
    "teacher",
    "student",
    "parent",
    "stranger",
    "outside_learner",
]

# Who may see the student 张三 (school A) through student_get_for_user.
SEES_THE_STUDENT = {"district_admin", "school_admin", "student", "parent"}
# Who may administer school A and its homeroom 七年级3班.
ADMINISTERS_SCHOOL_A = {"district_admin", "school_admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_student_get_for_user(personas, persona):
    user, student = personas[persona], personas["student"]
    if persona in SEES_THE_STUDENT:
        assert student_get_for_user(user=user, student_id=student.pk).pk == student.pk
    else:
        with pytest.raises(Http404):
            student_get_for_user(user=user, student_id=student.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_district_admin_reaches_the_student_of_another_school(personas, persona):
    stranger = personas["stranger"]
    user = personas[persona]
    if persona in {"district_admin", "stranger"}:
        assert student_get_for_user(user=user, student_id=stranger.pk).pk == stranger.pk
    else:
        with pytest.raises(Http404):
            student_get_for_user(user=user, student_id=stranger.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_child_get_for_parent_only_gives_ones_own_child(personas, persona):
    student = personas["student"]
    if persona == "parent":
        assert child_get_for_parent(parent=personas[persona], student_id=student.pk) == (
            student.student
        )
    else:
        with pytest.raises(Http404):
            child_get_for_parent(parent=personas[persona], student_id=student.pk)


def test_a_parent_cannot_reach_another_familys_child_by_its_id(personas):
    with pytest.raises(Http404):
        child_get_for_parent(parent=personas["parent"], student_id=personas["stranger"].pk)


@pytest.mark.parametrize("bad_id", ["abc", None, 999999])
def test_ids_that_are_not_ids_are_404_too(personas, bad_id):
    with pytest.raises(Http404):
        child_get_for_parent(parent=personas["parent"], student_id=bad_id)
    with pytest.raises(Http404):
        homeroom_get_for_admin(user=personas["district_admin"], homeroom_id=bad_id)


@pytest.mark.parametrize("persona", PERSONAS)
def test_homeroom_get_for_admin(personas, persona):
    homeroom = personas["student"].student.homeroom
    if persona in ADMINISTERS_SCHOOL_A:
        assert homeroom_get_for_admin(user=personas[persona], homeroom_id=homeroom.pk) == homeroom
    else:
        with pytest.raises(Http404):
            homeroom_get_for_admin(user=personas[persona], homeroom_id=homeroom.pk)


def test_a_school_admin_cannot_reach_another_schools_homeroom(personas):
    other = personas["stranger"].student.homeroom
    with pytest.raises(Http404):
        homeroom_get_for_admin(user=personas["school_admin"], homeroom_id=other.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_get_for_admin(personas, persona, school_a, school_b):
    user = personas[persona]
    if persona in ADMINISTERS_SCHOOL_A:
        assert school_get_for_admin(user=user, school_id=school_a.pk) == school_a
    else:
        with pytest.raises(Http404):
            school_get_for_admin(user=user, school_id=school_a.pk)
    if persona == "district_admin":
        assert school_get_for_admin(user=user, school_id=school_b.pk) == school_b
    else:
        with pytest.raises(Http404):
            school_get_for_admin(user=user, school_id=school_b.pk)


def test_a_teacher_reaches_a_student_who_booked_them_and_no_other(personas, teachers_class):
    teacher, student, stranger = personas["teacher"], personas["student"], personas["stranger"]
    with pytest.raises(Http404):
        student_get_for_user(user=teacher, student_id=student.pk)

    teachers_class.book(student)

    assert student_get_for_user(user=teacher, student_id=student.pk).pk == student.pk
    # Another student, who booked nothing of theirs, stays out of reach.
    with pytest.raises(Http404):
        student_get_for_user(user=teacher, student_id=stranger.pk)
