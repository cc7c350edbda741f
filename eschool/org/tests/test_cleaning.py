"""The cleaning rules, with generated cases where a rule has many."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eschool.org.cleaning import (
    CleaningError,
    clean_code,
    clean_date,
    clean_digits,
    clean_label,
    clean_name,
    clean_phone,
    clean_time,
    split_list,
)
from eschool.org.importing.common import clean_gender, clean_homeroom_number

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(mobiles)
def test_every_written_form_of_a_mobile_gives_its_11_digits(phone):
    forms = [
        phone,
        int(phone),
        float(phone),
        f"{phone}.0",
        f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}",
        f"+86{phone}",
        f"0086 {phone}",
        f"86{phone}",
        f" {phone[:3]} {phone[3:7]} {phone[7:]} ",
        "".join(chr(ord(c) + 0xFEE0) for c in phone),  # full-width digits
    ]
    assert {clean_phone(form) for form in forms} == {phone}


@pytest.mark.parametrize(
    "value", ["1.38001E+10", "1.3800138E10", 13800138000.5, "1380013800", "23800138000", "电话"]
)
def test_what_cannot_be_a_mobile_is_an_error(value):
    with pytest.raises(CleaningError):
        clean_phone(value)


@given(st.from_regex(r"[0-9]{1,14}", fullmatch=True))
def test_leading_zeros_are_kept_for_any_digit_string(digits):
    assert clean_digits(digits) == digits
    assert clean_digits(f" {digits} ") == digits
    assert clean_code(digits) == digits


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_a_number_cell_is_the_digits_meant(number):
    assert clean_digits(number) == str(number)
    assert clean_digits(float(number)) == str(number)
    assert clean_digits(f"{number}.0") == str(number)


def test_a_rounded_18_digit_id_number_is_an_error():
    with pytest.raises(CleaningError):
        clean_digits(320106201209011000)
    with pytest.raises(CleaningError):
        clean_digits(3.20106201209011e17)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_dates_in_every_format_round_trip(day):
    forms = [
        day,
        dt.datetime.combine(day, dt.time(0)),
        f"{day.year}/{day.month}/{day.day}",
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
        int(day.strftime("%Y%m%d")),
        f"{day.isoformat()} 00:00:00",
    ]
    assert {clean_date(form) for form in forms} == {day}


@pytest.mark.parametrize("value", ["2012-13-01", "2012/2/30", "九月一日", "12/9/1", 45000.5])
def test_what_cannot_be_a_date_is_an_error(value):
    with pytest.raises(CleaningError):
        clean_date(value)


@given(st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_times_round_trip(moment):
    assert clean_time(moment) == moment
    assert clean_time(f"{moment.hour}:{moment.minute:02d}") == moment
    assert clean_time(f"{moment.hour:02d}：{moment.minute:02d}:00") == moment
    assert clean_time((moment.hour * 60 + moment.minute) / 1440) == moment  # fraction of a day


@pytest.mark.parametrize(
    "form",
    [
        "2012/9/1 0:00",
        "2012/9/1 00:00",
        "2012/9/1 0:00:00",
        "2012-09-01 00:00:00",
        "2012-09-01T00:00:00",
        "2012-09-01T00:00",
        "2012-09-01 00:00:00.000",
        "2012/9/1 12:00:00 AM",
        "2012/9/1 上午12:00",
        "2012年9月1日 0:00",
        "2012/9/1\u30000：00",  # a full-width space and colon
        dt.datetime(2012, 9, 1, 0, 0),
        dt.datetime(2012, 9, 1, 0, 0, 0, 400),  # a cell's float noise
    ],
)
def test_a_date_followed_by_midnight_is_that_date(form):
    assert clean_date(form) == dt.date(2012, 9, 1)


@pytest.mark.parametrize(
    "form",
    [
        "2012/9/1 8:30",
        "2012-09-01 00:00:01",
        "2012-09-01T12:00",
        "2012/9/1 12:00 PM",
        dt.datetime(2012, 9, 1, 8, 30),
    ],
)
def test_a_date_with_another_time_of_day_is_an_error(form):
    with pytest.raises(CleaningError) as error:
        clean_date(form)
    assert str(error.value.message) == (
        "This is a date with a time of day; write only the date, like 2012-09-01."
    )


@pytest.mark.parametrize("form", ["2012/9/1 24:00", "2012/9/1 0:60", "2012/9/10:00"])
def test_a_date_with_an_impossible_time_is_not_a_date(form):
    with pytest.raises(CleaningError) as error:
        clean_date(form)
    assert str(error.value.message) == "This is not a date; write it like 2012-09-01."


@pytest.mark.parametrize(
    ("form", "meant"),
    [
        (dt.time(7, 59, 59, 997000), dt.time(8, 0)),  # openpyxl's reading of 0.3333333
        (0.3333333, dt.time(8, 0)),
        (8 / 24 + 40 / 1440, dt.time(8, 40)),
        ("12:00 PM", dt.time(12, 0)),
        ("12:30 AM", dt.time(0, 30)),
        ("下午3:00", dt.time(15, 0)),
        ("8 : 00", dt.time(8, 0)),
        ("08:00:00.000", dt.time(8, 0)),
        (dt.datetime(1899, 12, 30, 8, 0), dt.time(8, 0)),
    ],
)
def test_times_as_cells_and_programs_write_them(form, meant):
    assert clean_time(form) == meant


@pytest.mark.parametrize(
    "form", ["08:00:30", "8:00:30", dt.time(8, 0, 30), (8 * 3600 + 30) / 86400]
)
def test_seconds_are_refused_alike_typed_or_in_a_cell(form):
    # The timetable shows minutes: 08:00:30 would be shown as 08:00 yet start later.
    with pytest.raises(CleaningError) as error:
        clean_time(form)
    assert str(error.value.message) == (
        "Times on the timetable are whole minutes; write 08:00, not 08:00:30."
    )


@pytest.mark.parametrize(
    "form",
    [
        0.99999999,
        dt.time(23, 59, 59, 999000),
        "23:59:59.9",
        "24:00",
        "8:60",
        "13:00 PM",
        1.5,
        -0.1,
        "8点",
    ],
)
def test_what_cannot_be_a_time_of_day_is_an_error(form):
    # 0.99999999 of a day rounds to 24:00, the next midnight: not a time of this day.
    with pytest.raises(CleaningError) as error:
        clean_time(form)
    assert str(error.value.message) == "This is not a time of day; write it like 08:00."


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet="0123456789:：/-.年月日 TAPMapm上午下午"),
    st.from_regex(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?", fullmatch=True),
    st.integers(),
    st.times(),
    st.datetimes(),
)


@pytest.mark.parametrize(
    ("cleaner", "kind"), [(clean_time, dt.time), (clean_date, dt.date)], ids=["time", "date"]
)
@given(value=cells)
def test_a_time_or_date_cell_is_a_value_or_a_row_error(cleaner, kind, value):
    # Anything else (a bare ValueError) would escape the import's row report.
    try:
        result = cleaner(value)
    except CleaningError as error:
        assert str(error.message)
    else:
        assert result is None or isinstance(result, kind)
        assert not isinstance(result, dt.time) or result.second == 0


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("张\u3000三 ", "张三"),
        ("王 五", "王五"),
        ("李 明", "李明"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("买买提 · 艾力", "买买提·艾力"),
        ("Anna  Smith", "Anna Smith"),
        ("ＡＢＣ", "ABC"),
    ],
)
def test_names(raw, clean):
    assert clean_name(raw) == clean


def test_labels_keep_chinese_punctuation():
    assert clean_label(" 亲子游戏：纸杯叠叠乐\u3000") == "亲子游戏：纸杯叠叠乐"
    assert clean_label("Ｕｎｉｔ　５") == "Unit 5"


def test_lists():
    assert split_list("语文、数学") == ["语文", "数学"]
    assert split_list("物理/化学") == ["物理", "化学"]
    assert split_list("七年级,八年级") == ["七年级", "八年级"]


@pytest.mark.parametrize(("raw", "gender"), [("男", "M"), ("女", "F"), ("M", "M"), ("f", "F")])
def test_gender(raw, gender):
    assert clean_gender(raw) == gender


@pytest.mark.parametrize(
    "raw", [3, 3.0, "3", "3班", "(3)班", "（3）班", "七年级3班", "初一(3)班", "三班"]
)
def test_class_numbers(raw):
    assert clean_homeroom_number(raw) == 3


@pytest.mark.parametrize("raw", ["0", "甲班", "three"])
def test_what_cannot_be_a_class_is_an_error(raw):
    with pytest.raises(CleaningError):
        clean_homeroom_number(raw)
