"""The district's sensitive words: the only writes, and the cached filter everyone calls.

filter_text() keeps the compiled word list in each process and checks a version token in
the shared cache on every call (one cache read); changing the list replaces the token, so
every process rebuilds its matcher on its next call.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eschool.classroom.selectors import user_manages_timetable
from eschool.core import timeutil
from eschool.safety.models import WORD_MAX_LENGTH, SensitiveWord
from eschool.safety.ratelimit import allow
from eschool.safety.text import WordMatcher, mask_contacts, normalise_word

__all__ = [
    "allow",
    "filter_text",
    "mask_contacts",
    "user_manages_words",
    "word_add",
    "word_remove",
    "words_import",
]

VERSION_KEY = "safety:words:version"
IMPORT_MAX_LINES = 10_000


class WordRefused(Exception):
    """A word or a pasted list that cannot be saved; `message` is in the user's language."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


def user_manages_words(user) -> bool:
    """The district's administrators keep the list."""
    return user_manages_timetable(user)


# The filter -------------------------------------------------------------------------------

_lock = threading.Lock()
_compiled: dict = {"version": None, "matcher": WordMatcher([])}


def _matcher() -> WordMatcher:
    version = cache.get(VERSION_KEY)
    if version is None:
        # First use, or the cache was emptied: name the current list afresh. add() keeps
        # one process's token if two processes get here at once.
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    compiled = _compiled
    if compiled["version"] == version and version is not None:
        return compiled["matcher"]
    with _lock:
        if _compiled["version"] != version or version is None:
            words = SensitiveWord.objects.values_list("word", flat=True)
            _compiled["matcher"] = WordMatcher(list(words))
            _compiled["version"] = version
        return _compiled["matcher"]


def _renew_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def _list_changed() -> None:
    # Now, so this process filters with the new list at once; and again after commit,
    # because another process may rebuild from the old rows before the commit.
    _renew_version()
    transaction.on_commit(_renew_version)


def filter_text(text: str) -> tuple[str, list[str]]:
    """(`text` with every sensitive word replaced by ＊ of the same length, the words hit).

    Full-width and half-width forms, case, and spaces, punctuation or symbols put inside a
    word do not hide it. The words hit are the stored (normalised) forms, each once.
    """
    return _matcher().mask(text)


# The list ----------------------------------------------------------------------------------


def _clean(word: str) -> str:
    normal = normalise_word(word.strip())
    if not normal:
        raise WordRefused(_("Write a word with at least one letter or character."))
    if len(normal) > WORD_MAX_LENGTH:
        raise WordRefused(
            _("A word is at most %(max)s characters long.") % {"max": WORD_MAX_LENGTH}
        )
    return normal


def word_add(*, actor, word: str) -> SensitiveWord:
    """Add one word (stored normalised); adding a word already on the list returns it."""
    if not user_manages_words(actor):
        raise PermissionDenied
    normal = _clean(word)
    with transaction.atomic():
        row, created = SensitiveWord.objects.get_or_create(
            word=normal, defaults={"added_by": actor, "added_at": timeutil.now()}
        )
        if created:
            _list_changed()
    return row


def word_remove(*, actor, word_id: int) -> None:
    if not user_manages_words(actor):
        raise PermissionDenied
    with transaction.atomic():
        deleted, _rows = SensitiveWord.objects.filter(pk=word_id).delete()
        if deleted:
            _list_changed()


def words_remove(*, actor, word_ids) -> int:
    """Remove several words at once (the admin's bulk delete); returns how many went."""
    if not user_manages_words(actor):
        raise PermissionDenied
    with transaction.atomic():
        deleted, _rows = SensitiveWord.objects.filter(pk__in=list(word_ids)).delete()
        if deleted:
            _list_changed()
    return deleted


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def words_import(*, actor, pasted: str) -> ImportResult:
    """Add a pasted list, one word per line; blank lines are skipped.

    All or nothing: if any line is refused nothing is saved and WordRefused lists each
    problem with its line number.
    """
    if not user_manages_words(actor):
        raise PermissionDenied
    lines = pasted.splitlines()
    if len(lines) > IMPORT_MAX_LINES:
        raise WordRefused(
            _("Paste at most %(max)s lines at a time.") % {"max": f"{IMPORT_MAX_LINES:,}"}
        )
    wanted: dict[str, None] = {}
    problems = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            wanted[_clean(line)] = None
        except WordRefused as refused:
            problems.append(
                _("Line %(line)s (%(text)s): %(problem)s")
                % {"line": number, "text": line.strip()[:60], "problem": refused.message}
            )
    if problems:
        raise WordRefused(
            ngettext(
                "%(count)s line has a problem; nothing was imported.",
                "%(count)s lines have problems; nothing was imported.",
                len(problems),
            )
            % {"count": len(problems)},
            problems,
        )
    result = ImportResult()
    with transaction.atomic():
        existing = set(
            SensitiveWord.objects.filter(word__in=list(wanted)).values_list("word", flat=True)
        )
        result.already = [word for word in wanted if word in existing]
        result.added = [word for word in wanted if word not in existing]
        now = timeutil.now()
        SensitiveWord.objects.bulk_create(
            [SensitiveWord(word=word, added_by=actor, added_at=now) for word in result.added],
            ignore_conflicts=True,  # a word added by someone else meanwhile is simply there
        )
        if result.added:
            _list_changed()
    return result
