"""What the benchmarks share on the server's side: a fresh site for one run (its folder, its
SQLite or throwaway PostgreSQL database, Redis), uvicorn on a free port, and what a page
weighs when nothing is cached.

Not a benchmark itself (`make bench` skips files starting with `_`).
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    port: int,
    env: dict[str, str],
    *,
    app: tuple[str, ...] = ("config.asgi:application",),
    workers: int = 1,
    extra: tuple[str, ...] = (),
    stderr=None,
) -> subprocess.Popen:
    """Start uvicorn on 127.0.0.1:`port` and return once /healthz answers 200 (30 s at most).

    `stderr` (a file) receives the server's log, to be read afterwards; by default it is ours.
    """
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *app]
        + ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        + ["--lifespan", "off", "--log-level", "warning", "--no-access-log", *extra],
        cwd=ROOT,
        env=env,
        stderr=stderr,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("uvicorn did not answer within 30 s")


def stop_server(server: subprocess.Popen | None) -> None:
    """Stop a server from start_server (if one was started), killing it after 10 s."""
    if server is None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def stop_servers(servers: list[subprocess.Popen]) -> None:
    """Stop several servers at once (each then gets its 10 s, as in stop_server)."""
    for server in servers:
        server.terminate()
    for server in servers:
        stop_server(server)


def cpu_seconds(pids) -> float:
    """CPU time the processes `pids` have used (user + system), a process that has ended
    counting nothing: less swayed than wall-clock time by whatever else the machine runs."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the environment, PostgreSQL and Redis -----------------------------------------------


def set_up_environment(
    data_dir: Path, *, database_url: str | None = None, redis_url: str | None = None
) -> dict[str, str]:
    """The bench's own folder and database whatever the caller's environment: SQLite in
    `data_dir` unless `database_url` is given, in-memory layers unless `redis_url` is."""
    for name in ("DATABASE_URL", "REDIS_URL", "ESCHOOL_SQLITE_PATH", "ESCHOOL_STATIC_ROOT"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    os.environ["ESCHOOL_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("ESCHOOL_LOG_LEVEL", "WARNING")
    return dict(os.environ)


def admin_url(url: str) -> tuple[str, str]:
    """(the URL of the maintenance database `postgres`, the bench database's name)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def _drop_database(conn, name: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def create_database(url: str) -> None:
    """Create the throwaway database at `url` afresh (dropping what an earlier run left)."""
    import psycopg
    from psycopg import sql

    maintenance, name = admin_url(url)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        _drop_database(conn, name)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg

    maintenance, name = admin_url(url)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        _drop_database(conn, name)


def unavailable(database_url: str | None = None, redis_url: str | None = None) -> str | None:
    """Why the bench cannot run here (Redis or PostgreSQL not reachable), or None."""
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            return f"Redis is not reachable at {redis_url}: {error}"
    if database_url:
        import psycopg

        maintenance, _ = admin_url(database_url)
        try:
            psycopg.connect(maintenance, connect_timeout=5).close()
        except psycopg.OperationalError as error:
            return f"PostgreSQL is not reachable at {maintenance}: {str(error).strip()}"
    return None


def forget_keys(redis_url: str, patterns: tuple[str, ...]) -> None:
    """Delete the Redis keys matching `patterns` (what an earlier run left)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = [key for pattern in patterns for key in client.scan_iter(pattern)]
    if keys:
        client.delete(*keys)


# --- a fresh site for one run ------------------------------------------------------------


@dataclass
class Site:
    folder: Path  # ESCHOOL_DATA_DIR, removed afterwards
    env: dict[str, str]  # the servers' environment
    migrate_seconds: float
    servers: list[subprocess.Popen] = field(default_factory=list)

    def start_server(self, port: int, **options) -> subprocess.Popen:
        """start_server with this site's environment; the server is stopped at the end."""
        server = start_server(port, self.env, **options)
        self.servers.append(server)
        return server


@contextlib.contextmanager
def fresh_site(
    prefix: str,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    redis_keys: tuple[str, ...] = (),
) -> Iterator[Site]:
    """Django set up on a migrated empty database: SQLite in a temporary folder, or the
    throwaway PostgreSQL database at `database_url` (created afresh, dropped afterwards), with
    the Redis at `redis_url` cleared of `redis_keys` before and after. At the end the site's
    servers are stopped and the folder removed. Check `unavailable` first."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    if database_url:
        create_database(database_url)
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    site = None
    try:
        env = set_up_environment(folder, database_url=database_url, redis_url=redis_url)
        import django

        django.setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        site = Site(folder, env, time.perf_counter() - started)
        if redis_keys:
            forget_keys(redis_url, redis_keys)
        yield site
    finally:
        try:
            if site is not None:
                stop_servers(site.servers)
            if redis_keys:
                forget_keys(redis_url, redis_keys)
        finally:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(folder, ignore_errors=True)
            if database_url:
                drop_database(database_url)


# --- people and pages -------------------------------------------------------------------------------


def create_students(usernames: list[str], *, school_code: str) -> list:
    """Grade-7 students of one homeroom in a new junior school, one per username, named
    学生0, 学生1, … The users are returned (saved)."""
    from eschool.accounts.models import Role, Student, User
    from eschool.org.models import Grade, Homeroom, Region, School, Stage

    region = Region.objects.get(kind=Region.Kind.HOME)
    school = School.objects.create(
        code=school_code, name="基准初级中学", stage=Stage.JUNIOR, region=region
    )
    grade = Grade.objects.get(level=7)
    homeroom = Homeroom.objects.create(school=school, grade=grade, number=1)
    users = User.objects.bulk_create(
        User(
            username=username,
            name=f"学生{number}",
            role=Role.STUDENT,
            school=school,
            password="!",  # unusable: benches log them in by writing their session
        )
        for number, username in enumerate(usernames)
    )
    Student.objects.bulk_create(
        Student(user=user, school=school, grade=grade, homeroom=homeroom) for user in users
    )
    return users


def measure(path: str, *, host: str = "testserver") -> tuple[int, int]:
    """The size of `path` and the number of queries it makes when nothing is cached."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST=host).get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(response.content), len(queries)


def write_static(path: Path, size: int, *, json: bool) -> None:
    """A static file of `size` bytes (HTML, or JSON when `json`) for WhiteNoise to serve:
    written into the site's folder before its server starts and indexes the files."""
    start = '{"filler": "' if json else "<!doctype html><title>static</title><p>"
    end = '"}' if json else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((start + "x" * (size - len(start) - len(end)) + end).encode())
