from eschool.accounts.models import User
from eschool.accounts.passwords import check_initial_password, initial_password


def test_the_initial_password_is_derived_from_the_secret_key_the_user_and_the_nonce(settings):
    settings.SECRET_KEY = "test-secret"
    user = User(pk=42, initial_password_nonce="0123456789abcdef")
    assert initial_password(user) == "v9b4kwtk"


def test_a_new_nonce_gives_a_new_password(settings):
    settings.SECRET_KEY = "test-secret"
    first = initial_password(User(pk=42, initial_password_nonce="0123456789abcdef"))
    second = initial_password(User(pk=42, initial_password_nonce="fedcba9876543210"))
    assert first != second


def test_without_a_nonce_there_is_no_initial_password():
    assert initial_password(User(pk=42, initial_password_nonce="")) is None
    assert check_initial_password(User(pk=42, initial_password_nonce=""), "") is False


def test_the_password_avoids_characters_children_confuse(settings):
    settings.SECRET_KEY = "test-secret"
    for pk in range(1, 200):
        password = initial_password(User(pk=pk, initial_password_nonce="abc"))
        assert len(password) == 8
        assert not set(password) & set("01ilo")


def test_the_initial_password_is_accepted_with_spaces_and_capitals(settings):
    settings.SECRET_KEY = "test-secret"
    user = User(pk=42, initial_password_nonce="0123456789abcdef")
    assert check_initial_password(user, " V9B4KWTK ") is True
    assert check_initial_password(user, "v9b4kwtm") is False
