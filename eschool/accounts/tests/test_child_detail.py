import pytest


def child_url(user):
    return f"/accounts/children/{user.pk}/"


def test_a_parent_sees_their_childs_school_grade_and_homeroom(english, parent, student):
    english.force_login(parent)
    response = english.get(child_url(student))
    assert response.status_code == 200
    assert response.context["child"].pk == student.pk
    html = response.content.decode()
    # Grade names are Chinese data; English pages show their translation.
    for text in ["张三", "南京市鼓楼区示范初级中学", "<dd>Grade 7</dd>", "Grade 7 class 3"]:
        assert text in html
    # From the child's page to what a parent follows: bookings, watch time, tutoring.
    assert f'href="/my/children/{student.pk}/timetable/">张三\'s timetable</a>' in html
    assert f'href="/watch/children/{student.pk}/">' in html
    assert 'href="/tutoring/history/">Tutoring history</a>' in html


def test_a_parent_cannot_see_another_familys_child(client, parent, stranger):
    client.force_login(parent)
    assert client.get(child_url(stranger)).status_code == 404


@pytest.mark.parametrize(
    "persona",
    ["district_admin", "school_admin", "teacher", "student", "stranger", "outside_learner"],
)
def test_only_the_childs_own_parents_open_the_page(client, personas, student, persona):
    client.force_login(personas[persona])
    assert client.get(child_url(student)).status_code == 404


def test_an_id_that_is_not_a_student_is_a_404(client, parent, teacher):
    client.force_login(parent)
    assert client.get(child_url(teacher)).status_code == 404
