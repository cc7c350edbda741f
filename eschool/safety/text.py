"""Text matching in plain functions: normalisation, the word matcher, contact masking.

Nothing here touches the database or the cache; eschool.safety.services adds those.
Every function returns text of the same length as it was given, with masked characters
replaced one for one by MASK, so a reader sees where something was taken out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MASK = "＊"


def _ignored(char: str) -> bool:
    # Spaces, punctuation, symbols (☆, emoji) and invisible format characters (zero-width
    # space) put between the characters of a word must not hide it.
    category = unicodedata.category(char)
    return category[0] in "ZPS" or category in {"Cc", "Cf"}


@dataclass
class Folded:
    """`text` folded (NFKC, case-folded), with where each folded character came from.

    Folding is done per character cluster (a base character and its combining marks), so each
    folded character maps back to a span [start, end) of the original.
    """

    text: str
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


def fold(text: str, *, skip_ignored: bool) -> Folded:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        cluster = text[i:j]
        # ASCII letters only need case folding; most chat is short and this keeps it cheap.
        folded = cluster.lower() if cluster.isascii() else unicodedata.normalize("NFKC", cluster)
        for char in folded.casefold():
            if skip_ignored and _ignored(char):
                continue
            chars.append(char)
            starts.append(i)
            ends.append(j)
        i = j
    return Folded("".join(chars), starts, ends)


def normalise_word(word: str) -> str:
    """The form a sensitive word is stored and matched in ("ＡＢ　c" -> "abc")."""
    return fold(word, skip_ignored=True).text


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = MASK
    return "".join(chars)


class WordMatcher:
    """A trie of normalised words; finds every occurrence, longest at each position."""

    def __init__(self, words):
        self.root: dict = {}
        self.size = 0
        for word in words:
            if not word:
                continue
            node = self.root
            for char in word:
                node = node.setdefault(char, {})
            if None not in node:
                self.size += 1
            node[None] = word  # the key None marks the end of a word

    def find(self, folded: str) -> list[tuple[int, int, str]]:
        """(start, end, word) in folded positions, by start."""
        found = []
        root = self.root
        n = len(folded)
        for i in range(n):
            node = root.get(folded[i])
            if node is None:
                continue
            best = None
            j = i
            while True:
                if None in node:
                    best = (j + 1, node[None])
                j += 1
                if j >= n:
                    break
                node = node.get(folded[j])
                if node is None:
                    break
            if best is not None:
                found.append((i, best[0], best[1]))
        return found

    def mask(self, text: str) -> tuple[str, list[str]]:
        """(text with every hit masked, the words hit in order of first appearance)."""
        if not self.size or not text:
            return text, []
        folded = fold(text, skip_ignored=True)
        found = self.find(folded.text)
        if not found:
            return text, []
        hits = list(dict.fromkeys(word for _start, _end, word in found))
        spans = [folded.original_span(start, end) for start, end, _word in found]
        return _mask_spans(text, spans), hits


# Contact details ------------------------------------------------------------------------

# A mainland mobile number, optionally +86, digits possibly split by spaces or dashes.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]){8}(?![0-9])")
# An account id written after the name of the app: 微信: abc_123, QQ号 12345678, vx abcdef.
_ACCOUNT = re.compile(
    r"(?:微信|威信|薇信|维信|weixin|wechat|v信|vx|wx|qq|扣扣|企鹅)"
    r"\s*(?:号码|号)?\s*(?:是|为|:|：|=)?\s*"
    r"([a-z0-9][a-z0-9_-]{4,19})"
)


def mask_contacts(text: str) -> str:
    """`text` with mobile numbers and messaging ids (after 微信/QQ/vx...) masked.

    Full-width digits and letters are recognised (NFKC); the mask keeps the text's length.
    """
    if not text:
        return text
    folded = fold(text, skip_ignored=False)
    spans = [folded.original_span(*m.span()) for m in _MOBILE.finditer(folded.text)]
    spans += [folded.original_span(*m.span(1)) for m in _ACCOUNT.finditer(folded.text)]
    return _mask_spans(text, spans)
