"""The word list's services, the cached filter and the rate limiter."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eschool.core import timeutil
from eschool.core.testing import NOT_DISTRICT_ADMINS
from eschool.safety import services
from eschool.safety.models import SensitiveWord
from eschool.safety.ratelimit import allow

MOMENT = dt.datetime(2026, 12, 7, 2, 0, 0, tzinfo=dt.UTC)


def test_a_word_added_is_masked_at_once_and_one_removed_is_not(district_admin):
    assert services.filter_text("你是坏蛋") == ("你是坏蛋", [])
    word = services.word_add(actor=district_admin, word="ＨＥ坏 蛋")
    assert word.word == "he坏蛋"
    assert services.filter_text("you he坏蛋!") == ("you ＊＊＊＊!", ["he坏蛋"])
    services.word_remove(actor=district_admin, word_id=word.pk)
    assert services.filter_text("you he坏蛋!") == ("you he坏蛋!", [])


def test_the_compiled_list_is_reused_until_the_list_changes(district_admin):
    services.word_add(actor=district_admin, word="坏蛋")
    services.filter_text("first call builds the list")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(50):
            assert services.filter_text("坏蛋")[0] == "＊＊"
    assert len(queries) == 0
    services.word_add(actor=district_admin, word="笨蛋")
    with CaptureQueriesContext(connection) as queries:
        assert services.filter_text("笨蛋坏蛋")[0] == "＊＊＊＊"
    assert len(queries) == 1


def test_a_word_changed_by_another_process_is_seen_on_the_next_call(district_admin):
    services.filter_text("warm")
    # Another process adds a row and renews the version token in the shared cache.
    SensitiveWord.objects.create(word="笨蛋", added_at=timeutil.now())
    services._renew_version()
    assert services.filter_text("笨蛋") == ("＊＊", ["笨蛋"])


def test_adding_a_word_twice_keeps_one_row(district_admin):
    first = services.word_add(actor=district_admin, word="坏蛋")
    assert services.word_add(actor=district_admin, word=" 坏　蛋 ") == first
    assert SensitiveWord.objects.count() == 1


@pytest.mark.parametrize("word", ["", "  ", "！？", "字" * 51])
def test_empty_or_too_long_words_are_refused(district_admin, word):
    with pytest.raises(services.WordRefused):
        services.word_add(actor=district_admin, word=word)
    assert SensitiveWord.objects.count() == 0


@pytest.mark.parametrize("persona", NOT_DISTRICT_ADMINS)
def test_only_district_administrators_change_the_list(personas, persona):
    actor = personas[persona]
    with pytest.raises(PermissionDenied):
        services.word_add(actor=actor, word="坏蛋")
    with pytest.raises(PermissionDenied):
        services.words_import(actor=actor, pasted="坏蛋")
    assert SensitiveWord.objects.count() == 0


def test_an_import_adds_new_words_and_skips_blank_lines_and_known_ones(district_admin):
    services.word_add(actor=district_admin, word="坏蛋")
    result = services.words_import(actor=district_admin, pasted="笨蛋\r\n\n 坏蛋 \nＦＯＯ\nfoo\n")
    assert result.added == ["笨蛋", "foo"]
    assert result.already == ["坏蛋"]
    assert sorted(SensitiveWord.objects.values_list("word", flat=True)) == ["foo", "坏蛋", "笨蛋"]
    assert services.filter_text("Foo 笨蛋")[0] == "＊＊＊ ＊＊"


def test_an_import_with_a_bad_line_saves_nothing_and_names_the_line(district_admin):
    with pytest.raises(services.WordRefused) as refused:
        services.words_import(actor=district_admin, pasted="笨蛋\n！！！\n" + "字" * 60)
    assert refused.value.message == "2 lines have problems; nothing was imported."
    assert refused.value.problems[0].startswith("Line 2 (！！！): ")
    assert refused.value.problems[1].startswith("Line 3 (")
    assert SensitiveWord.objects.count() == 0


def test_the_rate_limiter_allows_the_limit_per_window_then_refuses():
    with timeutil.frozen_at(MOMENT):
        assert [allow(7, "chat", 5, 10) for _ in range(7)] == [True] * 5 + [False] * 2
        # Another user and another action have counters of their own.
        assert allow(8, "chat", 5, 10)
        assert allow(7, "question", 5, 10)
    with timeutil.frozen_at(MOMENT + dt.timedelta(seconds=9)):
        assert not allow(7, "chat", 5, 10)
    with timeutil.frozen_at(MOMENT + dt.timedelta(seconds=10)):
        assert allow(7, "chat", 5, 10)


def test_the_rate_limiter_counts_in_the_shared_cache_so_every_process_agrees():
    from django.core.cache import cache

    with timeutil.frozen_at(MOMENT):
        for _ in range(3):
            allow("u1", "chat", 5, 10)
        window = int(MOMENT.timestamp() // 10)
        assert cache.get(f"safety:rate:chat:10:u1:{window}") == 3
