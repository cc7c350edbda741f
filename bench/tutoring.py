"""Evening tutoring on two worker processes: 1,000 waiting students, 100 teachers on duty.

On PostgreSQL + Redis, the way a district runs: creates a throwaway database
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_tutoring), migrates it,
opens the service for a window around now (a server's clock cannot be frozen, so the window
moves instead), signs the teachers up for tonight and lets every student ask one question,
then starts two uvicorn servers of one process each on the Redis channel layer (REDIS_URL,
default redis://127.0.0.1:6379/12). In every session the student is on one worker and the
teacher on the other, as eschool/tutoring/tests/test_room_workers.py tests it.

1. Matching, in rounds of one session per teacher. The teachers go online (POST clock/in,
   which offers each the oldest question), read their offer on the duty panel and all accept
   at once. As soon as an accept answers, both sides open the room's WebSocket; matching
   latency is from the press of "accept" to both sockets' `welcome`. Meanwhile each student's
   wait page polls its status every POLL_SECONDS, as htmx does (each student at a random
   phase); the page learns the session when the status answers with HX-Redirect. The teacher
   then ends the session from the socket, which offers them the next student in the queue:
   ten rounds of 100 serve the 1,000.
2. Chat, in the last round's rooms, all at once: each side posts texts and waits for each ack;
   the other side must receive every one once, in seq order, with no gap. First with the two
   sides of each room on different workers, then (both sides resuming from the last seq they
   saw) with both sides of each room on the same worker, half the rooms on each. A side posts
   TEXTS_PER_PHASE texts in each phase, so nobody goes past the room's 20 texts per 30 s.
3. Memory: VmRSS of both workers before and after opening more idle sockets to the rooms.

Without PostgreSQL or Redis it prints why and exits 0.

    .venv/bin/python bench/tutoring.py [--quick]

Prints `name: value` lines (wall-clock figures, and the workers' CPU time per session and
per message, which depends less on whatever else the machine runs), the ratio of chat across
workers to chat within one, and messages_per_second (across the two workers) last: matching
takes seconds even with every teacher pressing at once, where the district's aim is minutes,
so the figure that bounds an evening is how many messages the workers store and deliver in
order (whiteboard strokes take the same path, up to 4 a second a person).
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import secrets
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from _server import cpu_seconds, free_port, fresh_site, stop_servers, unavailable
from booking_storm import create_district

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_tutoring"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
# The rate limiter's counts and the rooms' groups of an earlier run (user and session ids
# repeat in a fresh database, so a rerun within 30 s would start over the limit).
REDIS_KEYS = ("eschool:*safety:rate:*", "asgi:group:tutoring-room-*")
# Texts a side posts in each of the two chat phases: 2 × 5 stays within the room's limit of
# 20 texts per 30 s a person (the limit counts fixed windows, so a total of 20 never trips it).
# A hundred rooms make 1,000 messages a phase, enough for a steady rate.
TEXTS_PER_PHASE = 5
TIMEOUT = 120  # seconds any one answer, frame or socket may take before it counts as lost
# Like the room's script (static/js/tutoring-room.js): after this long without a frame, a side
# asks "anything new?" (sync), which brings what the channel layer may have dropped.
SYNC_AFTER = 25
CSRF = secrets.token_hex(16)
OFFER = re.compile(rb"/tutoring/offer/(\d+)/accept/")
ROOM = re.compile(r"/tutoring/session/(\d+)/")
OUR_FRAME = re.compile(r'File ".*?/(eschool/[^"]*)", line \d+, in (\w+)')  # in a traceback


# --- the district -------------------------------------------------------------------------


def open_the_service() -> tuple[str, str | None]:
    """Tonight's tutoring open from a few minutes ago for two hours (or until 23:59: a window
    may not cross midnight). The window as text, and a note when midnight is near, or
    (None, the reason) when it is too near to run."""
    from eschool.accounts.models import Role, User
    from eschool.core import timeutil
    from eschool.tutoring.services.shifts import settings_update

    local = timeutil.local(timeutil.now()).replace(tzinfo=None, second=0, microsecond=0)
    midnight = local.replace(hour=0, minute=0)
    last = local.replace(hour=23, minute=59)
    if last - local < dt.timedelta(minutes=5):
        return None, "less than 5 minutes to midnight, and a service window may not cross it"
    start = max(local - dt.timedelta(minutes=10), midnight).time()
    end = min(local + dt.timedelta(hours=2), last).time()
    note = "the window ends at 23:59 (midnight is near)" if end == last.time() else None
    admin = User.objects.create(
        username="A00001", name="区管理员", role=Role.DISTRICT_ADMIN, password="!"
    )
    # Every day of the week and no holidays: the bench runs whenever it is run. Offers last
    # 120 s instead of 30, so a teacher on a loaded machine does not lose one to the clock
    # (the bench measures the matching, not the offer timeout).
    settings_update(
        actor=admin,
        window_start=start,
        window_end=end,
        weekdays="1,2,3,4,5,6,7",
        holidays_off=False,
        offer_seconds=120,
    )
    return f"{start:%H:%M}-{end:%H:%M}", note


def create_evening(students: int, teachers: int) -> tuple[list[str], dict[int, str]]:
    """Teachers signed up for tonight (not yet online) and one waiting question per student.

    (the teachers' session cookies, {question id: its student's session cookie}).
    """
    from django.test import Client

    from eschool.accounts.models import Role, Teacher, User
    from eschool.core import timeutil
    from eschool.org.models import School, Subject
    from eschool.tutoring.selectors import grade_bands
    from eschool.tutoring.services.asking import question_ask
    from eschool.tutoring.services.shifts import shift_sign_up

    # booking_storm's district: a junior school's grade-7 students, logged in by writing their
    # Django sessions (its bookable classroom session is not used here).
    _unused, student_cookies = create_district(students, seats=1)
    school = School.objects.get(code="999000001")
    maths = Subject.objects.get(name="数学")
    band = grade_bands().get(name="初中")
    users = User.objects.bulk_create(
        User(
            username=f"T{number:05d}",
            name=f"值班老师{number}",
            role=Role.TEACHER,
            school=school,
            password="!",
        )
        for number in range(teachers)
    )
    Teacher.objects.bulk_create(Teacher(user=user, school=school) for user in users)
    Teacher.subjects.through.objects.bulk_create(
        Teacher.subjects.through(teacher_id=user.pk, subject_id=maths.pk) for user in users
    )
    # The services a teacher and a student use (a hundred sign-ups and a thousand questions
    # take a few seconds); teachers go online later, over HTTP, once the servers run.
    today = timeutil.today()
    teacher_cookies = []
    for user in users:
        shift_sign_up(actor=user, day=today, subjects=[maths], band=band)
        client = Client()
        client.force_login(user)
        teacher_cookies.append(client.cookies["sessionid"].value)
    questions = {}
    pupils = User.objects.filter(role=Role.STUDENT).select_related("student__grade")
    for user, cookie in zip(pupils.order_by("username"), student_cookies, strict=True):
        question = question_ask(
            asker=user,
            subject=maths,
            grade=user.student.grade,
            text=f"{user.name}：这道一元一次方程怎么解？",
        )
        questions[question.pk] = cookie
    return teacher_cookies, questions


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


# --- clients ------------------------------------------------------------------------------


async def http(port: int, method: str, path: str, cookie: str) -> tuple[int, dict, bytes]:
    """One request as a logged-in browser (session cookie, CSRF cookie and header, htmx)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                f"{method} {path} HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                f"Cookie: sessionid={cookie}; csrftoken={CSRF}\r\n"
                f"X-CSRFToken: {CSRF}\r\n"
                "HX-Request: true\r\n"
                "Content-Length: 0\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(-1), timeout=TIMEOUT)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ", 2)[1]), headers, body


@dataclass
class Received:
    seq: int
    client_id: str
    author: str
    text: str | None
    at: float


@dataclass
class Side:
    """One person's socket in a session's room (the `websockets` asyncio client)."""

    role: str  # "student" or "teacher"
    port: int
    session_id: int
    cookie: str
    last_seq: int = 0
    welcomed_at: float = 0.0
    replayed: list = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)
    errors: list = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    ended: bool = False
    syncs: int = 0  # syncs sent after SYNC_AFTER without a frame
    recovered: int = 0  # messages that came in answer to a sync, not live

    def again(self, port: int) -> "Side":
        """The same person's new socket to the room on `port`, resuming from the last seq
        this one saw (not open yet)."""
        return Side(self.role, port, self.session_id, self.cookie, last_seq=self.last_seq)

    async def open(self, *, read=True) -> "Side":
        """Connect, say hello from last_seq and wait for the welcome (then read in the
        background when `read`)."""
        from websockets.asyncio.client import connect

        self.socket = await connect(
            f"ws://127.0.0.1:{self.port}/ws/tutoring/{self.session_id}/",
            origin=f"http://127.0.0.1:{self.port}",
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=TIMEOUT,
            ping_interval=None,  # a loaded worker must not look dead to the bench
        )
        await self.socket.send(json.dumps({"type": "hello", "after": self.last_seq}))
        self.replayed = []
        while True:
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout=TIMEOUT))
            if frame["type"] == "welcome":
                break
            if frame["type"] == "message":
                self.replayed.append(frame["seq"])
                self.last_seq = frame["seq"]
        self.welcomed_at = time.perf_counter()
        if frame["last_seq"] != self.last_seq:
            self.errors.append(f"welcome at {frame['last_seq']} after replay to {self.last_seq}")
        self._acks: dict[str, asyncio.Future] = {}
        self._target, self._caught_up = 0, asyncio.Event()
        self._reader = asyncio.create_task(self._read()) if read else None
        return self

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        syncing = False
        try:
            while True:
                try:
                    raw = await asyncio.wait_for(self.socket.recv(), timeout=SYNC_AFTER)
                except TimeoutError:  # (recv may be cancelled: nothing is lost)
                    if not syncing and not self.ended:
                        await self.socket.send(json.dumps({"type": "sync"}))
                        self.syncs, syncing = self.syncs + 1, True
                    continue
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "synced":
                    syncing = False
                elif kind == "message":
                    self.recovered += syncing
                    text = frame["body"].get("text")
                    self.messages.append(
                        Received(
                            frame["seq"],
                            frame["client_id"],
                            frame["author"],
                            text,
                            time.perf_counter(),
                        )
                    )
                    self.last_seq = frame["seq"]
                    if self.last_seq >= self._target:
                        self._caught_up.set()
                elif kind == "ack":
                    future = self._acks.pop(frame["client_id"], None)
                    if future is not None and not future.done():
                        future.set_result(frame["seq"])
                elif kind == "ended":
                    self.ended = True
                elif kind == "error":
                    self.errors.append(f"{frame.get('code')}: {frame.get('message')}")
                    future = self._acks.pop(frame.get("client_id"), None)
                    if future is not None and not future.done():
                        future.set_result(None)
        except ConnectionClosed:
            pass
        finally:
            for future in self._acks.values():
                if not future.done():
                    future.set_result(None)

    async def post(self, text: str, client_id: str) -> int | None:
        """Post a text and wait for its ack: its seq (None when refused or lost)."""
        future = asyncio.get_running_loop().create_future()
        self._acks[client_id] = future
        self.sent_at[client_id] = time.perf_counter()
        await self.socket.send(
            json.dumps(
                {"type": "post", "client_id": client_id, "kind": "text", "body": {"text": text}}
            )
        )
        try:
            return await asyncio.wait_for(future, timeout=TIMEOUT)
        except TimeoutError:
            self.errors.append(f"no ack for {client_id} in {TIMEOUT} s")
            return None

    async def caught_up(self, seq: int) -> None:
        """Wait until this side has received every message up to `seq`."""
        self._target = seq
        if self.last_seq >= seq:
            return
        self._caught_up.clear()
        try:
            await asyncio.wait_for(self._caught_up.wait(), timeout=TIMEOUT)
        except TimeoutError:
            raise RuntimeError(
                f"session {self.session_id}: the {self.role} got up to {self.last_seq}, not "
                f"{seq}, in {TIMEOUT} s"
            ) from None

    async def end(self) -> None:
        await self.socket.send(json.dumps({"type": "end"}))

    async def closed(self) -> None:
        """Wait until the server has closed this socket (after the session ended)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout=TIMEOUT)
        except TimeoutError:
            raise RuntimeError(
                f"session {self.session_id}: the {self.role}'s socket was still open "
                f"{TIMEOUT} s after the session was ended"
            ) from None

    async def close(self) -> None:
        await self.socket.close()
        if self._reader is not None:
            await self._reader


# --- 1. matching --------------------------------------------------------------------------


@dataclass
class Match:
    accept_ms: float
    room_ms: float  # press of accept → both welcomes
    status_ms: float  # press of accept → the status poll that answers HX-Redirect
    teacher: Side
    student: Side


async def offer_of(port: int, cookie: str, previous: int | None) -> int:
    """The question on the teacher's duty panel (a new one once a session has ended); read
    again every 0.2 s until it is there."""
    deadline = time.perf_counter() + TIMEOUT
    while time.perf_counter() < deadline:
        status, _, body = await http(port, "GET", "/tutoring/duty/panel/", cookie)
        found = OFFER.search(body) if status == 200 else None
        if found and int(found.group(1)) != previous:
            return int(found.group(1))
        await asyncio.sleep(0.2)
    raise RuntimeError("no offer on the duty panel")


async def poll_status(port: int, cookie: str, question_id: int, phase: float, poll: float):
    """The wait page's polling: (when the status first answered HX-Redirect, where to)."""
    next_at = time.perf_counter() + phase
    deadline = next_at + TIMEOUT
    while next_at < deadline:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        _, headers, _ = await http(port, "GET", f"/tutoring/question/{question_id}/status/", cookie)
        if "hx-redirect" in headers:
            return time.perf_counter(), headers["hx-redirect"]
        next_at += poll
    return None, None


async def match_one(
    teacher_port, student_port, teacher_cookie, student_cookie, question_id, release, rng, poll
) -> Match:
    polling = asyncio.create_task(
        poll_status(student_port, student_cookie, question_id, rng.uniform(0, poll), poll)
    )
    await release.wait()
    pressed = time.perf_counter()
    status, headers, _ = await http(
        teacher_port, "POST", f"/tutoring/offer/{question_id}/accept/", teacher_cookie
    )
    answered = time.perf_counter()
    room = ROOM.fullmatch(headers.get("location", ""))
    if status != 302 or room is None:
        polling.cancel()
        raise RuntimeError(f"accept answered {status} {headers.get('location')}")
    session_id = int(room.group(1))
    teacher = Side("teacher", teacher_port, session_id, teacher_cookie)
    student = Side("student", student_port, session_id, student_cookie)
    await asyncio.gather(teacher.open(), student.open())
    seen_at, redirect = await polling
    if seen_at is None or redirect != room.group(0):
        raise RuntimeError(f"the status page sent the student to {redirect}, not {room.group(0)}")
    return Match(
        (answered - pressed) * 1000,
        (max(teacher.welcomed_at, student.welcomed_at) - pressed) * 1000,
        (seen_at - pressed) * 1000,
        teacher,
        student,
    )


async def matching(ports, teacher_cookies, questions, rounds, poll) -> tuple[list[Match], list]:
    """Every round: each teacher accepts the offer on their panel (all at once), both sides
    enter the room; then, but in the last round, the teacher ends the session from the socket.
    Teacher n and their students are on ports[n % 2] and ports[(n + 1) % 2]."""
    rng = random.Random(5)
    # Going online offers each teacher the oldest waiting question (shift_clock_in dispatches).
    for number, cookie in enumerate(teacher_cookies):
        status, _, _ = await http(ports[number % 2], "POST", "/tutoring/duty/clock/in/", cookie)
        if status != 302:
            raise RuntimeError(f"clock-in answered {status}")
    matches, previous = [], [None] * len(teacher_cookies)
    for number in range(rounds):
        offered = await asyncio.gather(
            *(
                offer_of(ports[n % 2], cookie, previous[n])
                for n, cookie in enumerate(teacher_cookies)
            )
        )
        release = asyncio.Event()
        pending = [
            asyncio.create_task(
                match_one(
                    ports[n % 2],
                    ports[(n + 1) % 2],
                    cookie,
                    questions[offered[n]],
                    offered[n],
                    release,
                    rng,
                    poll,
                )
            )
            for n, cookie in enumerate(teacher_cookies)
        ]
        await asyncio.sleep(0.2)  # every poller started before the teachers press
        release.set()
        served = await asyncio.gather(*pending)
        matches += served
        previous = offered
        if number < rounds - 1:
            await asyncio.gather(*(match.teacher.end() for match in served))
            for match in served:
                await asyncio.gather(match.teacher.closed(), match.student.closed())
                if not (match.teacher.ended and match.student.ended):
                    raise RuntimeError(f"session {match.teacher.session_id} did not end for both")
    last = matches[-len(teacher_cookies) :]
    return matches, [(match.student, match.teacher) for match in last]


# --- 2. chat ------------------------------------------------------------------------------


def texts(phase: str, role: str) -> dict[str, str]:
    """What one side posts in a chat phase, in order: {client id: text}."""
    return {f"{phase}-{role}-{n}": f"{phase} {role} 第{n}条" for n in range(TEXTS_PER_PHASE)}


@dataclass
class Chat:
    messages: int
    seconds: float
    delivery_ms: list[float]
    problems: list[str]


async def chat(rooms: list[tuple[Side, Side]], phase: str) -> Chat:
    """Every side posts TEXTS_PER_PHASE texts, each after the ack of the one before; every
    room's two sides must then have every message of the phase once, in order, no gaps."""
    start_seq = {id(side): side.last_seq for room in rooms for side in room}

    async def talk(side: Side) -> list[int | None]:
        return [
            await side.post(text, client_id) for client_id, text in texts(phase, side.role).items()
        ]

    started = time.perf_counter()
    acks = await asyncio.gather(*(talk(side) for room in rooms for side in room))
    problems, delivery, finished = [], [], started
    for (first, second), first_acks, second_acks in zip(rooms, acks[::2], acks[1::2], strict=True):
        seqs = [seq for seq in first_acks + second_acks if seq is not None]
        if len(seqs) != 2 * TEXTS_PER_PHASE:
            problems.append(f"room {first.session_id}: {2 * TEXTS_PER_PHASE - len(seqs)} refused")
        last = max(seqs, default=0)
        await asyncio.gather(first.caught_up(last), second.caught_up(last))
        for side, other in ((first, second), (second, first)):
            got = [m for m in side.messages if m.seq > start_seq[id(side)]]
            expected = list(range(start_seq[id(side)] + 1, last + 1))
            if [m.seq for m in got] != expected:
                problems.append(f"room {side.session_id}: the {side.role} got seqs out of order")
            theirs = [m for m in got if m.author == other.role]
            sent = texts(phase, other.role)
            if [m.client_id for m in theirs] != list(sent):
                problems.append(f"room {side.session_id}: the {side.role} lost or doubled texts")
            for message in theirs:
                if message.text != sent.get(message.client_id):
                    problems.append(f"room {side.session_id}: text changed: {message.text}")
                delivery.append((message.at - other.sent_at[message.client_id]) * 1000)
                finished = max(finished, message.at)
            problems += [f"room {side.session_id}: {error}" for error in side.errors]
    return Chat(len(delivery), finished - started, delivery, problems)


async def move(rooms, ports) -> list[tuple[Side, Side]]:
    """Both sides of room n come back on ports[n % 2], resuming from the last seq they saw."""
    moved = []
    for number, room in enumerate(rooms):
        for side in room:
            await side.close()
        moved.append(tuple(side.again(ports[number % 2]) for side in room))
    await asyncio.gather(*(side.open() for room in moved for side in room))
    for room in moved:
        for side in room:
            if side.replayed:
                side.errors.append(f"replayed {side.replayed} it had seen")
    return moved


# --- 3. memory ----------------------------------------------------------------------------


async def a_hundred_at_a_time(steps) -> list:
    """Await the coroutines `steps`, at most a hundred at once: handshakes so that none waits
    past its timeout, closes so that they are no burst of channel-layer calls (at 100 at once
    a worker's Redis pool once ran out; config/settings.py)."""
    line = asyncio.Semaphore(100)

    async def one(step):
        async with line:
            return await step

    return await asyncio.gather(*(one(step) for step in steps))


async def open_idle(rooms, ports, count: int) -> list[Side]:
    """`count` more sockets to the rooms (as from more tabs), alternately on each worker."""

    def extra(number: int) -> Side:
        first, second = rooms[number % len(rooms)]
        side = first if number // len(rooms) % 2 else second
        return side.again(ports[number % 2])

    return await a_hundred_at_a_time(extra(number).open(read=False) for number in range(count))


# --- the run ------------------------------------------------------------------------------


async def evening(ports, pids, teacher_cookies, questions, rounds, idle, poll) -> dict:
    phases, started, cpu = {}, time.perf_counter(), {"start": cpu_seconds(pids)}
    matches, rooms = await matching(ports, teacher_cookies, questions, rounds, poll)
    phases["matching"], started = time.perf_counter() - started, time.perf_counter()
    cpu["matched"] = cpu_seconds(pids)
    cross = await chat(rooms, "cross")
    cpu["cross"] = cpu_seconds(pids)
    rooms = await move(rooms, ports)
    cpu["moved"] = cpu_seconds(pids)
    same = await chat(rooms, "same")
    cpu["same"] = cpu_seconds(pids)
    phases["chat"], started = time.perf_counter() - started, time.perf_counter()
    before = [rss_kib(pid) for pid in pids]
    extra = await open_idle(rooms, ports, idle)
    after = [rss_kib(pid) for pid in pids]
    phases["memory"] = time.perf_counter() - started
    await a_hundred_at_a_time(side.close() for side in extra + [s for room in rooms for s in room])
    return {
        "matches": matches,
        "rooms": rooms,
        "cross": cross,
        "same": same,
        "rss_before": before,
        "rss_after": after,
        "phases": phases,
        "cpu_ms_per_session": (cpu["matched"] - cpu["start"]) * 1000 / len(matches),
        "cpu_ms_per_message_cross": (cpu["cross"] - cpu["matched"]) * 1000 / cross.messages,
        "cpu_ms_per_message_same": (cpu["same"] - cpu["moved"]) * 1000 / same.messages,
    }


def server_log(logs) -> tuple[list[str], int]:
    """What the workers logged: (each exception's last line and the project's code it came
    through, the consumers uvicorn had to cancel at shutdown because their socket's task
    never ended)."""
    errors, stuck = [], 0
    for log in logs:
        log.close()
        lines = Path(log.name).read_text().splitlines()
        for number, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next(
                    (n for n in range(number + 1, len(lines)) if not lines[n].startswith(" ")),
                    len(lines) - 1,
                )
                ours = [
                    f"{found.group(1)} {found.group(2)}"
                    for found in map(OUR_FRAME.search, lines[number:end])
                    if found
                ]
                where = f" (in {ours[-1]})" if ours else ""
                errors.append(f"worker: {lines[end]}{where}")
            stuck += sum(int(n) for n in re.findall(r"Cancel (\d+) running task", line))
    return errors, stuck


def check_rooms(results) -> list[str]:
    """What went wrong in the chat, and in the database: each of the last round's rooms holds
    its "started" notice, then each side's texts of both phases, once each."""
    from django.db.models import Count, Max

    from eschool.tutoring.models import RoomMessage

    session_ids = [side.session_id for side, _ in results["rooms"]]
    rows = (
        RoomMessage.objects.filter(session_id__in=session_ids)
        .values("session_id")
        .annotate(n=Count("pk"), top=Max("seq"), ids=Count("client_id", distinct=True))
    )
    stored = {row["session_id"]: (row["n"], row["top"], row["ids"]) for row in rows}
    texts = 2 * 2 * TEXTS_PER_PHASE
    return (
        results["cross"].problems
        + [
            f"session {sid}: stored (messages, last seq, client ids) {stored.get(sid)}"
            for sid in session_ids
            if stored.get(sid) != (1 + texts, 1 + texts, texts + 1)  # client ids: "" once
        ]
        + results["same"].problems
    )


def report(results, *, teachers: int, idle: int, poll: int) -> None:
    """The figures of the evening, as `name: value` lines."""
    from eschool.tutoring.selectors import percentile

    def ms(values, fraction):
        return f"{percentile(values, fraction):.0f}"

    matches, cross, same = results["matches"], results["cross"], results["same"]
    sides = [side for match in matches for side in (match.teacher, match.student)]
    sides += [side for room in results["rooms"] for side in room]
    accept = [match.accept_ms for match in matches]
    room = [match.room_ms for match in matches]
    status = [match.status_ms for match in matches]
    before, after = sum(results["rss_before"]), sum(results["rss_after"])
    for name, seconds in results["phases"].items():
        print(f"{name}_seconds: {seconds:.1f}")
    print(f"rounds: {len(matches) // teachers}")
    print(f"accepts_at_once: {teachers}")
    print(f"sessions_matched: {len(matches)}")
    print(f"accept_p50_ms: {ms(accept, 0.5)}")
    print(f"accept_p99_ms: {ms(accept, 0.99)}")
    print(f"matching_p50_ms: {ms(room, 0.5)}")
    print(f"matching_p99_ms: {ms(room, 0.99)}")
    print(f"worker_cpu_ms_per_session: {results['cpu_ms_per_session']:.0f}")
    print(f"status_poll_seconds: {poll}")
    print(f"status_redirect_p50_ms: {ms(status, 0.5)}")
    print(f"status_redirect_p99_ms: {ms(status, 0.99)}")
    print(f"chat_rooms: {teachers}")
    print(f"texts_per_side_per_phase: {TEXTS_PER_PHASE}")
    print(f"messages_same_worker: {same.messages}")
    print(f"messages_per_second_same_worker: {same.messages / same.seconds:.0f}")
    print(f"delivery_p50_ms_same_worker: {ms(same.delivery_ms, 0.5)}")
    print(f"worker_cpu_ms_per_message_same_worker: {results['cpu_ms_per_message_same']:.1f}")
    print(f"messages_cross_worker: {cross.messages}")
    print(f"delivery_p50_ms: {ms(cross.delivery_ms, 0.5)}")
    print(f"delivery_p99_ms: {ms(cross.delivery_ms, 0.99)}")
    print(f"worker_cpu_ms_per_message: {results['cpu_ms_per_message_cross']:.1f}")
    print(f"syncs_after_{SYNC_AFTER}s_quiet: {sum(side.syncs for side in sides)}")
    print(f"messages_recovered_by_sync: {sum(side.recovered for side in sides)}")
    print(f"idle_sockets: {idle}")
    print(f"workers_rss_before_mib: {before / 1024:.1f}")
    print(f"workers_rss_after_mib: {after / 1024:.1f}")
    print(f"memory_per_socket_kib: {(after - before) / idle:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="20 students, 10 teachers, 100 idle sockets"
    )
    args = parser.parse_args()
    students, teachers, idle = (20, 10, 100) if args.quick else (1000, 100, 1000)
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS

    reason = unavailable(url, redis_url)
    if reason:
        print(f"skipped: {reason}")
        return 0
    with fresh_site(
        "eschool-bench-tutoring-", database_url=url, redis_url=redis_url, redis_keys=REDIS_KEYS
    ) as site:
        logs = [(site.folder / f"worker-{n}.log").open("w") for n in range(2)]
        try:
            return run(site, logs, students=students, teachers=teachers, idle=idle)
        except Exception:
            # What the workers said is the likeliest explanation; their logs go with the folder.
            for problem, times in Counter(server_log(logs)[0]).most_common(10):
                print(f"worker log: {problem} (×{times})", file=sys.stderr)
            raise


def run(site, logs, *, students: int, teachers: int, idle: int) -> int:
    """The evening on a fresh site, the workers logging to `logs`; its figures printed.
    0, or 1 when anything went wrong."""
    from django.db import connections

    from eschool.tutoring.views.student import POLL_SECONDS

    window, note = open_the_service()
    if window is None:
        print(f"skipped: {note}")
        return 0
    load = Path("/proc/loadavg").read_text().split()[0]
    started = time.perf_counter()
    teacher_cookies, questions = create_evening(students, teachers)
    setup_seconds = time.perf_counter() - started
    connections.close_all()

    # Two servers of one process each (not --workers 2): the bench chooses which worker
    # each side is on. They run config.asgi as a district does, with its line of
    # ESCHOOL_REQUESTS_PER_WORKER requests, so a burst of accepts does not ask PostgreSQL
    # for more connections than it has. They shut down within 3 s: now and then a closed
    # socket's consumer never finishes (its channel-layer receive, cancelled inside
    # redis-py's blocking read, does not end) and uvicorn would wait for it for ever.
    extra = ("--timeout-graceful-shutdown", "3")
    ports = [free_port(), free_port()]
    with ThreadPoolExecutor(2) as starting:  # both start up at once
        futures = [
            starting.submit(site.start_server, port, extra=extra, stderr=log)
            for port, log in zip(ports, logs, strict=True)
        ]
    servers = [future.result() for future in futures]  # raises what stopped one starting
    running = time.perf_counter()
    results = asyncio.run(
        evening(
            ports, [server.pid for server in servers], teacher_cookies, questions,
            students // teachers, idle, POLL_SECONDS,
        )
    )  # fmt: skip

    run_seconds = time.perf_counter() - running
    stop_servers(servers)
    errors, stuck = server_log(logs)
    problems = check_rooms(results) + errors
    connections.close_all()
    print("workers: 2 (student and teacher of each session on different ones)")
    print(f"students: {students}")
    print(f"teachers: {teachers}")
    print(f"service_window: {window}")
    if note:
        print(f"window_note: {note}")
    print(f"load_average_at_start: {load} ({os.cpu_count()} cores, shared)")
    print(f"migrate_seconds: {site.migrate_seconds:.1f}")
    print(f"setup_seconds: {setup_seconds:.1f}")
    print(f"run_seconds: {run_seconds:.1f}")
    report(results, teachers=teachers, idle=idle, poll=POLL_SECONDS)
    print(f"server_errors: {len(errors)}")
    print(f"consumers_stuck_at_shutdown: {stuck}")
    print(f"problems: {len(problems)}")
    cross, same = results["cross"], results["same"]
    cross_rate = cross.messages / cross.seconds
    print(f"cross_worker_to_same_worker: {cross_rate / (same.messages / same.seconds):.2f}")
    print(f"messages_per_second: {cross_rate:.0f}")
    if problems:
        for problem, times in Counter(problems).most_common(20):
            print(f"FAILED: {problem} (×{times})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
