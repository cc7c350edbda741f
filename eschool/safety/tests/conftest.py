import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _in_english():
    # Messages are compared with their English text; a page requested by an earlier test
    # (the test client runs the language middleware in this thread) must not decide it.
    with translation.override("en"):
        yield
