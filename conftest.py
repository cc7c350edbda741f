"""Test set-up shared by every app: fast hashing and the persona set."""

import pytest

pytest_plugins = ["eschool.core.testing"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (a test checks it); tests hash thousands
    # of passwords and need a cheap one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
