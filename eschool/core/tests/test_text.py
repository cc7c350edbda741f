from django.utils import translation

from eschool.core.text import join_list


def test_a_list_is_joined_with_the_languages_separator():
    with translation.override("en"):
        assert join_list(["Grade 7", "Grade 8", "Grade 9"]) == "Grade 7, Grade 8, Grade 9"
    with translation.override("zh-hans"):
        assert join_list(["七年级", "八年级"]) == "七年级、八年级"
    assert join_list([]) == ""
    assert join_list(iter([7])) == "7"
