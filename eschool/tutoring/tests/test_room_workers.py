"""Across worker processes: the student on one uvicorn server, the teacher on another.

Two real servers run as subprocesses on the same Redis channel layer and the same test
database; a message the student sends through the first reaches the teacher on the
second, once and in order, and a dropped teacher resumes through the first server.
Runs on the PostgreSQL + Redis leg (REDIS_URL and DATABASE_URL set); skipped otherwise.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from eschool.tutoring.tests.test_room_services import make_session

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    settings = connection.settings_dict
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def two_workers():
    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        reason = "the cross-worker test needs the Redis channel layer and PostgreSQL"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    env = {**os.environ, "DATABASE_URL": _database_url(), "ESCHOOL_DB_CONN_MAX_AGE": "0"}
    servers, urls = [], []
    try:
        for _ in range(2):
            port = _free_port()
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "config.asgi:application"]
                    + ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"]
                    + ["--log-level", "warning", "--no-access-log"],
                    cwd=ROOT,
                    env=env,
                )
            )
            urls.append(f"127.0.0.1:{port}")
        for server, url in zip(servers, urls, strict=True):
            _wait_until_ready(server, url)
        yield urls
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_until_ready(server, url):
    # Polls readiness (the health check answering), not a guessed start-up time.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"uvicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("a worker did not start within 30 s")


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class Side:
    """One person's socket to one worker (websockets' synchronous client)."""

    def __init__(self, url, session, user, after=0):
        from websockets.sync.client import connect

        self._connection = connect(
            f"ws://{url}/ws/tutoring/{session.pk}/",
            origin=f"http://{url}",
            additional_headers={"Cookie": _cookie(user)},
            open_timeout=10,
        )
        self.socket = self._connection.__enter__()
        self.socket.send(json.dumps({"type": "hello", "after": after}))
        self.messages = []  # every stored message received, in arrival order
        self.frames = []  # everything else (relayed frames)
        self.replayed = []
        while (frame := self._next())["type"] != "welcome":
            self.replayed.append(frame)

    def _next(self):
        return json.loads(self.socket.recv(timeout=10))

    def _take(self, frame):
        if frame["type"] == "message":
            self.messages.append(frame)
        elif frame["type"] != "ack":
            self.frames.append(frame)

    def post(self, text, client_id):
        self.socket.send(
            json.dumps(
                {"type": "post", "client_id": client_id, "kind": "text", "body": {"text": text}}
            )
        )
        while (frame := self._next())["type"] != "ack":
            self._take(frame)
        return frame["seq"]

    def messages_up_to(self, seq):
        while not self.messages or self.messages[-1]["seq"] < seq:
            self._take(self._next())
        return [(m["seq"], m["body"].get("text")) for m in self.messages]

    def next_relayed(self):
        while not self.frames:
            self._take(self._next())
        return self.frames.pop(0)

    def close(self):
        self._connection.__exit__(None, None, None)


def test_student_on_one_worker_and_teacher_on_another_talk_in_order(two_workers, student, teacher):
    session = make_session(student, teacher)
    first, second = two_workers
    pupil = Side(first, session, student)
    tutor = Side(second, session, teacher)
    try:
        assert [pupil.post(f"第{n}条", f"s-{n}") for n in range(1, 6)] == [1, 2, 3, 4, 5]
        expected = [(n, f"第{n}条") for n in range(1, 6)]
        assert tutor.messages_up_to(5) == expected

        # The teacher answers from the other worker; a live stroke and typing cross too.
        assert tutor.post("我看看", "t-1") == 6
        assert pupil.messages_up_to(6) == [*expected, (6, "我看看")]
        stroke = {"id": "k1", "color": "#0b5cad", "width": 0.006, "points": [[0.5, 0.5]]}
        tutor.socket.send(json.dumps({"type": "draw", "stroke": stroke}))
        assert pupil.next_relayed() == {
            "type": "draw",
            "stroke": {**stroke, "erase": False},
            "from": "teacher",
        }
        # An idle side's sync is answered by its own worker with where it stands.
        pupil.socket.send(json.dumps({"type": "sync"}))
        assert pupil.next_relayed() == {"type": "synced", "last_seq": 6}

        # The teacher's connection drops; they come back through the student's worker.
        tutor.close()
        assert pupil.post("还在吗", "s-6") == 7
        tutor = Side(first, session, teacher, after=6)
        assert [(m["seq"], m["body"]["text"]) for m in tutor.replayed] == [(7, "还在吗")]
    finally:
        pupil.close()
        tutor.close()
