"""Text put together for display in the reader's language."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def join_list(items: Iterable) -> str:
    """`items` (anything with a str()) as one list in the active language: 七年级、八年级 in
    Chinese, "Grade 7, Grade 8" in English. The separator is the catalogue's, so a page never
    mixes one language's words with the other's punctuation."""
    # Translators: what separates the items of a list (Chinese: the enumeration comma 、).
    separator = pgettext("list separator", ", ")
    return separator.join(str(item) for item in items)
