"""Test set-up shared by every app: fast hashing and the persona set."""

import pytest
from hypothesis import settings as hypothesis_settings

# Timing belongs in bench/, not in tests: no per-example deadline, so a busy
# 2-core CI machine cannot turn a correct rule into a flaky failure.
hypothesis_settings.register_profile("eschool", deadline=None, max_examples=200)
hypothesis_settings.load_profile("eschool")

pytest_plugins = ["eschool.core.testing"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (a test checks it); tests hash thousands
    # of passwords and need a cheap one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # The Redis leg uses a database of its own (REDIS_TEST_URL, db 15); emptying it
    # keeps one test's counters and cached pages from leaking into the next.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _no_receiver_left_on_the_channel_layers():
    # channels_redis binds a layer's receiving to one event loop while it counts a receiver;
    # a consumer of an earlier test (its server's loop gone) can leave that count behind, and
    # every later receive on another loop then fails ("Two event loops are trying to
    # receive() on one channel layer at once!"). Each test starts with none counted. The
    # layers themselves are kept: new ones per test made cancelling a consumer at a loop's
    # close hang on Redis.
    from channels.layers import channel_layers

    # Whatever the count: a receiver that left while another held the lock fails
    # channels_redis's own check on the way out and leaves that lock behind with a count of 0.
    for layer in channel_layers.backends.values():
        if hasattr(layer, "receive_count"):
            layer.receive_count = 0
            layer.receive_lock = None
            layer.receive_event_loop = None
            layer.receive_buffer.clear()
    yield


@pytest.fixture(autouse=True, scope="session")
def _background_jobs_run_in_the_test():
    # A job enqueued by a test runs at once, in the test, with in-memory storage:
    # it never lands in the development queue (var/huey.sqlite3) or in Redis.
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


def pytest_collection_modifyitems(config, items):
    # Once Playwright's sync API has started (a session fixture), this thread counts
    # as running an event loop, and async_to_sync refuses to run in it: the consumer
    # tests would fail after any browser test. Browser tests therefore run last.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    # A plain transactional test's flush recreates the content types, and the next
    # serialized_rollback test's restore of its snapshot then collides with them (every
    # later browser test errors, on PostgreSQL only when the plain test is PostgreSQL's).
    plain = [
        item.nodeid
        for item in items
        if (marker := item.get_closest_marker("django_db"))
        and marker.kwargs.get("transaction")
        and not marker.kwargs.get("serialized_rollback")
    ]
    if plain:
        raise pytest.UsageError(
            "transactional tests need serialized_rollback=True: " + ", ".join(plain)
        )
