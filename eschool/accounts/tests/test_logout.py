def test_logout_refuses_get_and_keeps_the_person_logged_in(client, student):
    client.force_login(student)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert client.session.get("_auth_user_id") == str(student.pk)


def test_logout_by_post_ends_the_session_and_returns_to_the_timetable(client, student):
    client.force_login(student)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session.get("_auth_user_id") is None
