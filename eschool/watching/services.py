"""Heartbeats in, watch sections out: the only writes of the watching app.

The endpoint's path (heartbeats_accept) is kept to validation and one append, because at
8:00 it is the load: 100,000 viewers, one batch each every 20 s. The periodic fold
(heartbeats_fold) does the database work in bulk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from eschool.classroom.models import Session
from eschool.watching import buffer
from eschool.watching.folding import Beat, SectionState, fold_section
from eschool.watching.models import Mode, WatchSection

log = logging.getLogger(__name__)

MAX_BEATS = 100  # one batch: 20 s of one player, a few seeks at most; 100 is generous
MAX_POSITION_S = 24 * 3600
SECTION_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
VISITOR_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
TOKEN_SALT = "eschool.watching.heartbeat"
TOKEN_MAX_AGE_S = 12 * 3600  # a school day; the player fetches a new one when refused
FOLD_LOCK_KEY = "eschool:watching:fold-lock"
FOLD_BATCHES = 5000  # batches read per round of the fold
UPSERT_ROWS = 1000


class HeartbeatRefused(Exception):
    """A batch that is not valid; `message` says why in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Viewer:
    """Who sends heartbeats for which session: a user id, or None for an anonymous visitor.

    With a shared token (district events) the token names no one: `key` is SHARED until
    the request says who it is (viewer_of_shared), and `login` may then hold the login
    session's key, which the fold turns into the user (fast path: no database here).
    """

    user_id: int | None
    session_id: int
    # Counted once in the viewer count: "u<user id>", "a<visitor id>" or "k<login hash>".
    key: str
    login: str = ""


SHARED = "*"


# Tokens --------------------------------------------------------------------------------------


def watch_token_issue(*, user, session_id: int, visitor: str = "") -> tuple[str, str]:
    """(token, visitor id) for a player of the session; the caller has checked `user` may see it.

    The token is what makes a heartbeat cheap and safe: the endpoint verifies its
    signature (no session or user query), and another site cannot read it from the
    page, so it also stands in for the CSRF token a beacon cannot send in a header.
    Anonymous visitors get a random visitor id (kept by the player in localStorage and
    offered back) so that a reload is not counted as a second viewer.
    """
    if getattr(user, "is_authenticated", False):
        key = f"u{user.pk}"
        user_id = user.pk
    else:
        visitor = visitor if VISITOR_RE.match(visitor or "") else secrets.token_urlsafe(16)
        key = f"a{visitor}"
        user_id = 0
    token = signing.dumps([user_id, int(session_id), key], salt=TOKEN_SALT, compress=False)
    return token, key[1:]


def shared_token_issue(*, session_id: int) -> str:
    """The one token of a district event everyone may watch: the same for every viewer.

    It names no one, so its answer and the page around it can be served from a shared
    cache. Who watches is told with the heartbeats: the login cookie (logged-in viewers;
    resolved by the fold, see viewer_of_shared) or a visitor id the player makes.
    """
    return signing.dumps([0, int(session_id), SHARED], salt=TOKEN_SALT, compress=False)


def viewer_of_shared(viewer: Viewer, *, user=None, login: str = "", visitor: str = "") -> Viewer:
    """Who sends with a shared token: `user` (a logged-in user Django already loaded), else
    the login session's key `login` (resolved at the fold), else the visitor id (counted,
    no watch time kept). An invalid visitor id gets a random one."""
    if getattr(user, "is_authenticated", False):
        return Viewer(user_id=user.pk, session_id=viewer.session_id, key=f"u{user.pk}")
    if login:
        digest = hashlib.sha256(login.encode()).hexdigest()[:24]
        return Viewer(user_id=None, session_id=viewer.session_id, key=f"k{digest}", login=login)
    visitor = visitor if isinstance(visitor, str) and VISITOR_RE.match(visitor) else ""
    return Viewer(
        user_id=None,
        session_id=viewer.session_id,
        key=f"a{visitor or secrets.token_urlsafe(16)}",
    )


def from_our_pages(origin: str | None, host: str) -> bool:
    """Whether a request may be believed about its cookies: no Origin header (not sent by
    every browser on a same-origin beacon) or our own. Another site's page cannot make a
    shared-token heartbeat count for the person logged in here (login cookies are
    SameSite=Lax, so browsers do not send them along anyway; this holds for old ones)."""
    return not origin or urlsplit(origin).netloc == host


def watch_token_read(token: str) -> Viewer:
    """The viewer a token names, or HeartbeatRefused (expired, altered or not a token)."""
    try:
        user_id, session_id, key = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_S)
    except (signing.BadSignature, TypeError, ValueError):
        raise HeartbeatRefused(
            _("The page's watch token has expired or is not valid. Reload the page.")
        ) from None
    return Viewer(user_id=user_id or None, session_id=int(session_id), key=str(key))


def viewer_of_user(*, user, session: Session) -> Viewer:
    """The viewer for a logged-in user sending with their session cookie (and CSRF header)."""
    return Viewer(user_id=user.pk, session_id=session.pk, key=f"u{user.pk}")


# Accepting heartbeats ------------------------------------------------------------------------


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def beats_parse(data, *, session_id: int) -> list[list]:
    """The batch as [[mode, section, from, to, at], ...], or HeartbeatRefused with a message.

    `data` is the decoded JSON: a list of {session, mode, section, from, to, at}.
    Every heartbeat must be for `session_id` (the player's token is for one session).
    """
    if not isinstance(data, list):
        raise HeartbeatRefused(_("A batch must be a list of heartbeats."))
    if not data:
        raise HeartbeatRefused(_("The batch is empty."))
    if len(data) > MAX_BEATS:
        raise HeartbeatRefused(
            _("A batch holds at most %(limit)s heartbeats.") % {"limit": MAX_BEATS}
        )
    beats = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise HeartbeatRefused(
                _(
                    "Heartbeat %(number)s is not an object with session, mode, section, from, to and at."
                )
                % {"number": number}
            )
        session = item.get("session")
        if isinstance(session, str) and session.isdigit():
            session = int(session)
        if session != session_id or isinstance(session, bool):
            raise HeartbeatRefused(
                _("Heartbeat %(number)s is not for this session.") % {"number": number}
            )
        mode = item.get("mode")
        if mode not in Mode.values:
            raise HeartbeatRefused(
                _('Heartbeat %(number)s: mode must be "live" or "replay".') % {"number": number}
            )
        section = item.get("section")
        if not isinstance(section, str) or not SECTION_RE.match(section):
            raise HeartbeatRefused(
                _('Heartbeat %(number)s: section must be 1 to 32 letters, digits, "-" or "_".')
                % {"number": number}
            )
        start, to = _number(item.get("from")), _number(item.get("to"))
        if start is None or to is None or not 0 <= start <= to <= MAX_POSITION_S:
            raise HeartbeatRefused(
                _(
                    "Heartbeat %(number)s: from and to must be positions in seconds, "
                    "from not after to."
                )
                % {"number": number}
            )
        at = item.get("at")
        if isinstance(at, float) and at.is_integer():
            at = int(at)
        if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at < 2**53:
            raise HeartbeatRefused(
                _("Heartbeat %(number)s: at must be the player's clock in milliseconds.")
                % {"number": number}
            )
        beats.append([mode, section, round(start, 3), round(to, 3), at])
    return beats


def batch_payload(*, viewer: Viewer, beats: list[list], received: int) -> str:
    """What waits in the buffer for a parsed batch; "" for a viewer whose time is not kept.

    A logged-in viewer is named by their user id ("u") or, from the fast path, by their
    login session's key ("k"), which the fold resolves in bulk.
    """
    if viewer.user_id is not None:
        who = {"u": viewer.user_id}
    elif viewer.login:
        who = {"k": viewer.login}
    else:
        return ""
    return json.dumps(
        {**who, "s": viewer.session_id, "r": received, "b": beats},
        separators=(",", ":"),
    )


def heartbeats_accept(*, viewer: Viewer, data) -> int:
    """Validate a batch and append it to the buffer; the number of heartbeats accepted.

    No database query on the Redis leg. An anonymous viewer is counted as a viewer, but
    their watch time is not kept: no page could show it to anyone (they have no name,
    no teacher and no parent here), and at 8:00 they are most of the 100,000.
    """
    beats = beats_parse(data, session_id=viewer.session_id)
    received = buffer.now_ms()
    payload = batch_payload(viewer=viewer, beats=beats, received=received)
    buffer.append(
        payload=payload, session_id=viewer.session_id, viewer=viewer.key, received=received
    )
    return len(beats)


def viewer_count(*, session: Session) -> int:
    """Viewers of the session heard from in the last minute (live or replay)."""
    return buffer.viewer_count(session.pk)


# Folding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FoldReport:
    batches: int = 0
    beats: int = 0
    sections: int = 0  # rows written (created or updated)


def heartbeats_fold(*, limit: int = FOLD_BATCHES, rounds: int = 100) -> FoldReport:
    """Fold waiting batches into WatchSection rows; idempotent, one fold at a time.

    Each round reads up to `limit` batches, computes the sections they touch from the
    rows already stored (folding.fold_section) and writes them with one bulk upsert per
    1,000 rows. A batch is removed from the buffer only after its round is committed; a
    round that fails leaves it to the next fold, which counts it once.
    """
    token = uuid.uuid4().hex
    # A cache lock (Redis on a real district): a slow fold and the next minute's must
    # not both read-modify-write the same rows.
    if not cache.add(FOLD_LOCK_KEY, token, timeout=600):
        return FoldReport()
    batches = beats = sections = 0
    try:
        for _round in range(rounds):
            with buffer.claim(limit) as payloads:
                if not payloads:
                    break
                with transaction.atomic():
                    counted = _fold_payloads(payloads)
            batches += len(payloads)
            beats += counted[0]
            sections += counted[1]
    finally:
        if cache.get(FOLD_LOCK_KEY) == token:
            cache.delete(FOLD_LOCK_KEY)
    return FoldReport(batches=batches, beats=beats, sections=sections)


def _fold_payloads(payloads: list[str]) -> tuple[int, int]:
    grouped: dict[tuple[int, int, str, str], list[Beat]] = defaultdict(list)
    beat_count = 0
    batches = []
    for raw in payloads:
        try:
            batch = json.loads(raw)
            who = ("u", int(batch["u"])) if "u" in batch else ("k", str(batch["k"]))
            batches.append((who, int(batch["s"]), int(batch["r"]), batch["b"]))
        except (ValueError, KeyError, TypeError) as error:
            # Only heartbeats_accept writes the buffer; a bad entry is a bug, not input.
            log.error("watching: skipped a malformed buffered batch: %s", error)
    logins = users_of_logins({who[1] for who, *_rest in batches if who[0] == "k"})
    for (kind, name), session_id, received, beats in batches:
        user_id = name if kind == "u" else logins.get(name)
        if user_id is None:
            continue  # a login that has ended or never was: no one's time to keep
        try:
            for mode, section, start, to, at in beats:
                grouped[(user_id, session_id, mode, section)].append(
                    Beat(at=int(at), start=float(start), to=float(to), received=received)
                )
                beat_count += 1
        except (ValueError, TypeError) as error:
            log.error("watching: skipped a malformed buffered batch: %s", error)
    if not grouped:
        return beat_count, 0
    # Sessions or people deleted since their token was issued: their heartbeats go.
    users = set(
        get_user_model().objects.filter(pk__in={k[0] for k in grouped}).values_list("pk", flat=True)
    )
    sessions = set(
        Session.objects.filter(pk__in={k[1] for k in grouped}).values_list("pk", flat=True)
    )
    keys = [k for k in grouped if k[0] in users and k[1] in sessions]
    stored = _stored_sections(keys)
    rows = []
    for key in keys:
        user_id, session_id, mode, section = key
        before = stored.get(key)
        after = fold_section(before, grouped[key], mode=mode)
        if after is None or after == before:
            continue
        rows.append(
            WatchSection(
                user_id=user_id, session_id=session_id, mode=mode, section=section, **vars(after)
            )
        )
    for start in range(0, len(rows), UPSERT_ROWS):
        WatchSection.objects.bulk_create(
            rows[start : start + UPSERT_ROWS],
            update_conflicts=True,
            unique_fields=["user", "session", "mode", "section"],
            update_fields=list(SectionState.__dataclass_fields__),
        )
    return beat_count, len(rows)


def users_of_logins(keys: set[str]) -> dict[str, int]:
    """{login session key: user id} for the keys that are live logins, in bulk.

    What django.contrib.auth.get_user checks for one request, for thousands at once: the
    session exists and has not expired, names a user who is active, and carries the hash
    of that user's current password (a password change logs the other devices out).
    With the database session engine, one query for the sessions and one for the users.
    """
    if not keys:
        return {}
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore()
    found: dict[str, dict] = {}
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        from django.contrib.sessions.models import Session as LoginSession

        rows = LoginSession.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
        for key, data in rows.values_list("session_key", "session_data"):
            found[key] = store.decode(data)
    else:  # the cache and the other engines: one read each, in the fold, not in a request
        for key in keys:
            data = engine.SessionStore(session_key=key).load()
            if data:
                found[key] = data
    claims = {}
    for key, data in found.items():
        if data.get(auth.BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
            continue  # an anonymous visitor's session, or a backend no longer allowed
        try:
            claims[key] = (int(data[auth.SESSION_KEY]), str(data.get(auth.HASH_SESSION_KEY, "")))
        except (KeyError, TypeError, ValueError):
            continue
    users = get_user_model().objects.filter(
        pk__in={user_id for user_id, _hash in claims.values()}, is_active=True
    )
    # Django accepts a hash made with SECRET_KEY or any of SECRET_KEY_FALLBACKS.
    hashes = {
        user.pk: [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
        for user in users
    }
    return {
        key: user_id
        for key, (user_id, claimed) in claims.items()
        if claimed
        and any(constant_time_compare(claimed, known) for known in hashes.get(user_id, ()))
    }


def _stored_sections(keys) -> dict[tuple, SectionState]:
    """The stored state of these sections, a few queries per thousand."""
    wanted = set(keys)
    names = sorted({k[3] for k in keys})
    fields = list(SectionState.__dataclass_fields__)
    stored = {}
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        # Section ids are random per player, so filtering on them alone is selective.
        for row in WatchSection.objects.filter(section__in=chunk).values(
            "user_id", "session_id", "mode", "section", *fields
        ):
            key = (row["user_id"], row["session_id"], row["mode"], row["section"])
            if key in wanted:
                stored[key] = SectionState(**{name: row[name] for name in fields})
    return stored
