import pytest

from eschool.accounts.services import user_issue_initial_password


@pytest.fixture
def english(client):
    """Show pages in English (the language switch's cookie)."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def on_initial_password():
    """Put a person in the state an import leaves them: printed password, must change it."""

    def give(user):
        password = user_issue_initial_password(user=user)
        user.refresh_from_db()
        return password

    return give
