"""On PostgreSQL each worker lends its requests connections from psycopg's pool.

The settings are read in a fresh Python process for each environment (they are read
once per process); the reuse itself is checked on the PostgreSQL leg, where a thread
that gives its connection back leaves it open for the next thread, as ASGI's fresh
thread per request does.
"""

import json
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import connection, connections

SCRIPT = r"""
import json
from django.conf import settings
default = settings.DATABASES["default"]
print(json.dumps({"pool": default.get("OPTIONS", {}).get("pool"),
                  "conn_max_age": default.get("CONN_MAX_AGE", 0)}))
"""


def database_settings(**env: str) -> dict:
    read = {"DATABASE_URL", "ESCHOOL_DB_POOL_SIZE", "ESCHOOL_DB_CONN_MAX_AGE"}
    read.add("ESCHOOL_REQUESTS_PER_WORKER")
    clean = {name: value for name, value in os.environ.items() if name not in read}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


POSTGRES = "postgres://eschool@127.0.0.1:5432/eschool"


def test_the_pool_has_a_place_for_each_request_in_line_and_four_more():
    assert database_settings(DATABASE_URL=POSTGRES) == {
        "pool": {"min_size": 2, "max_size": 20, "timeout": 10},
        "conn_max_age": 0,
    }


def test_a_shorter_line_shrinks_the_pool_with_it():
    found = database_settings(DATABASE_URL=POSTGRES, ESCHOOL_REQUESTS_PER_WORKER="8")
    assert found["pool"]["max_size"] == 12


def test_a_pool_size_of_its_own_and_persistent_connections_are_ignored_with_a_pool():
    found = database_settings(
        DATABASE_URL=POSTGRES, ESCHOOL_DB_POOL_SIZE="40", ESCHOOL_DB_CONN_MAX_AGE="60"
    )
    assert found == {"pool": {"min_size": 2, "max_size": 40, "timeout": 10}, "conn_max_age": 0}


def test_no_pool_when_turned_off_and_on_sqlite():
    assert database_settings(
        DATABASE_URL=POSTGRES, ESCHOOL_DB_POOL_SIZE="0", ESCHOOL_DB_CONN_MAX_AGE="60"
    ) == {"pool": None, "conn_max_age": 60}
    assert database_settings() == {"pool": None, "conn_max_age": 0}


@pytest.mark.skipif(not settings.DATABASE_URL, reason="the pool is PostgreSQL's")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_threads_one_after_another_reuse_the_connections_given_back():
    assert connection.pool is not None

    def backend_pid(out: list[int]) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                out.append(cursor.fetchone()[0])
        finally:
            connections.close_all()  # what Django does when a request ends

    opened_before = connection.pool.get_stats().get("connections_num", 0)
    pids: list[int] = []
    for _ in range(10):
        thread = threading.Thread(target=backend_pid, args=(pids,))
        thread.start()
        thread.join(timeout=30)
    # Without a pool each thread would start a PostgreSQL backend of its own: 10 new
    # connections. With it they borrow the ones kept open (2 when the pool is fresh; the
    # pool hands them round in turn, so earlier tests' connections show up as other pids).
    stats = connection.pool.get_stats()
    assert len(pids) == 10
    assert stats.get("connections_num", 0) - opened_before <= 1
    assert stats["pool_max"] == 20
