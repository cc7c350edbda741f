CHANGE = "/accounts/password/"


def test_a_person_changes_their_password_with_the_old_one(client, teacher):
    client.force_login(teacher)
    response = client.post(
        CHANGE,
        {
            "old_password": "correct-horse-42",
            "new_password1": "green-field-19",
            "new_password2": "green-field-19",
        },
    )
    assert response.status_code == 302
    assert response.url == "/accounts/"
    teacher.refresh_from_db()
    assert teacher.check_password("green-field-19")
    assert client.get("/accounts/").status_code == 200


def test_a_wrong_old_password_changes_nothing(english, teacher):
    before = teacher.password
    english.force_login(teacher)
    response = english.post(
        CHANGE,
        {
            "old_password": "not-it-at-all",
            "new_password1": "green-field-19",
            "new_password2": "green-field-19",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"] == [
        "Your old password was entered incorrectly. Please enter it again."
    ]
    teacher.refresh_from_db()
    assert teacher.password == before


def test_the_page_needs_a_login(client, db):
    response = client.get(CHANGE)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/password/"
