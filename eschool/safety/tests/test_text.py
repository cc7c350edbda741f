"""The pure matching functions: normalisation, masking, contact details."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from eschool.safety.text import MASK, WordMatcher, fold, mask_contacts, normalise_word


def test_normalise_word_folds_widths_case_and_drops_spaces_and_punctuation():
    assert normalise_word("ＡＢ　c") == "abc"
    assert normalise_word(" 法 轮·功 ") == "法轮功"
    assert normalise_word("！！") == ""


def test_a_word_is_masked_one_star_per_character():
    matcher = WordMatcher([normalise_word("坏蛋")])
    assert matcher.mask("你是坏蛋吗") == ("你是＊＊吗", ["坏蛋"])


def test_full_width_upper_case_and_inserted_symbols_do_not_hide_a_word():
    matcher = WordMatcher([normalise_word("badword"), normalise_word("坏蛋")])
    shown, hits = matcher.mask("ＢＡＤword 和 坏☆蛋 和 坏\u200b蛋")
    assert shown == "＊＊＊＊＊＊＊ 和 ＊＊＊ 和 ＊＊＊"
    assert hits == ["badword", "坏蛋"]


def test_the_longest_word_at_a_position_is_masked_and_overlaps_are_covered():
    matcher = WordMatcher(["ab", "abcd", "cde"])
    assert matcher.mask("xabcdex")[0] == "x＊＊＊＊＊x"


def test_decomposed_accents_match_the_composed_word():
    matcher = WordMatcher([normalise_word("café")])
    decomposed = unicodedata.normalize("NFD", "un café noir")
    shown, hits = matcher.mask(decomposed)
    assert hits == ["café"]
    assert shown == "un " + MASK * len(unicodedata.normalize("NFD", "café")) + " noir"


def test_text_without_words_comes_back_unchanged():
    assert WordMatcher(["坏蛋"]).mask("好孩子") == ("好孩子", [])
    assert WordMatcher([]).mask("好孩子") == ("好孩子", [])


@given(st.text(alphabet="abc", max_size=40), st.lists(st.text("abc", min_size=1, max_size=4)))
def test_masked_positions_are_exactly_every_occurrence_of_every_word(text, words):
    # The oracle: every occurrence found by brute force, overlapping ones included.
    expected = set()
    for word in words:
        start = text.find(word)
        while start != -1:
            expected.update(range(start, start + len(word)))
            start = text.find(word, start + 1)
    shown, hits = WordMatcher(words).mask(text)
    assert {i for i, char in enumerate(shown) if char == MASK} == expected
    # Hits name the longest word at each position; a shorter one inside it is covered too.
    present = {word for word in words if word in text}
    assert set(hits) <= present
    assert all(any(word in hit for hit in hits) for word in present)


@given(st.text(max_size=60), st.lists(st.text(min_size=1, max_size=5), max_size=8))
def test_masking_keeps_the_length_and_changes_only_masked_characters(text, words):
    shown, _hits = WordMatcher([normalise_word(word) for word in words]).mask(text)
    assert len(shown) == len(text)
    assert all(a in (b, MASK) for a, b in zip(shown, text, strict=True))


@given(st.text(max_size=80))
def test_fold_maps_every_folded_character_back_into_the_text(text):
    folded = fold(text, skip_ignored=True)
    assert len(folded.starts) == len(folded.ends) == len(folded.text)
    for start, end in zip(folded.starts, folded.ends, strict=True):
        assert 0 <= start < end <= len(text)


def test_mobile_numbers_are_masked_plain_spaced_full_width_and_with_country_code():
    assert mask_contacts("打我电话13800138000好吗") == "打我电话" + MASK * 11 + "好吗"
    assert mask_contacts("138 0013 8000") == MASK * 13
    assert mask_contacts("１３８００１３８０００") == MASK * 11
    assert mask_contacts("+86-13800138000") == MASK * 15


def test_other_numbers_stay():
    text = "第12800138000页不是手机号，12345也不是，2024年10月"
    assert mask_contacts(text) == text
    assert mask_contacts("订单号113800138000") == "订单号113800138000"


def test_messaging_ids_after_the_app_name_are_masked():
    assert mask_contacts("加我微信：abc_123") == "加我微信：" + MASK * 7
    assert mask_contacts("QQ号 12345678") == "QQ号 " + MASK * 8
    assert mask_contacts("vx是 Teacher-Wang") == "vx是 " + MASK * 12
    assert mask_contacts("ＷＸ ｈｅｌｌｏ９９") == "ＷＸ " + MASK * 7


def test_words_after_an_app_name_that_are_not_ids_stay():
    assert mask_contacts("我没有微信") == "我没有微信"
    assert mask_contacts("QQ 群") == "QQ 群"
