import io

import pytest
from django.core.management import CommandError, call_command

from eschool.accounts.models import Role, User
from eschool.accounts.passwords import initial_password


def test_the_command_creates_a_district_admin_and_prints_the_initial_password(client, db):
    out = io.StringIO()
    call_command(
        "create_district_admin", "--username", "D001", "--name", "区教育局管理员", stdout=out
    )
    user = User.objects.get(username="D001")
    assert (user.name, user.role, user.is_staff, user.is_superuser) == (
        "区教育局管理员",
        Role.DISTRICT_ADMIN,
        True,
        True,
    )
    assert user.must_change_password is True
    password = initial_password(user)
    assert out.getvalue() == (
        f"District administrator: 区教育局管理员 (D001)\nInitial password: {password}\n"
    )
    # The printed password logs in, and leads to choosing one's own.
    response = client.post("/accounts/login/", {"username": "D001", "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").url == "/accounts/password/first/?next=/admin/"


def test_an_existing_number_is_refused_and_nothing_changes(district_admin):
    before = (district_admin.password, district_admin.name)
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_district_admin", "--username", "admin", "--name", "别人")
    district_admin.refresh_from_db()
    assert (district_admin.password, district_admin.name) == before
