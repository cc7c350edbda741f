"""Turning what a school office typed into the values that were meant.

Each cleaner takes a raw cell (str, int, float, date, datetime, time or None)
and returns the clean value or raises CleaningError with a message for the
person who made the file. A value that cannot be what was meant (a phone number
shown as 1.38001E+10) is an error, never a guess.
"""

import datetime as dt
import re
import unicodedata

from django.utils.translation import gettext_lazy as _


class CleaningError(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


_SPACES = re.compile(r"\s+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}·])\s+(?=[{_CJK}·])")
_MIDDLE_DOTS = re.compile("[\u00b7\u2027\u30fb\u2022\u0387\u16eb\u2219\u22c5\uff65]")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_FLOAT_OF_INTEGER = re.compile(r"^(\d+)\.0+$")


def clean_text(value) -> str:
    """NFKC (full-width to half-width), whitespace folded, ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACES.sub(" ", text).strip()


def clean_name(value) -> str:
    """A person's name: spaces between Chinese characters removed, the middle dot kept.

    `张　三 ` becomes `张三`; `阿依古丽·买买提` keeps its dot (any of the look-alike
    dots people type is stored as U+00B7); `Anna Smith` keeps its space.
    """
    text = _MIDDLE_DOTS.sub("·", clean_text(value))
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return re.sub(r"\s*·\s*", "·", text)


def clean_digits(value, *, column_kind="number") -> str:
    """A code or number written with digits, whose leading zeros matter (学号, 学校代码).

    A spreadsheet cell holding 320106001 or 320106001.0 is the code `320106001`;
    1.38001E+10 lost digits and is refused.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CleaningError(_("This is not a number."))
    if isinstance(value, int):
        if abs(value) >= 10**15:
            # Spreadsheets keep 15 significant digits: an 18-digit ID number
            # typed into a number cell has had its last digits replaced by zeros.
            raise CleaningError(
                _("The spreadsheet has rounded this number; format the column as text.")
            )
        return str(value)
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise CleaningError(
                _("The spreadsheet has rounded this number; format the column as text.")
            )
        return str(int(value))
    text = clean_text(value).replace(" ", "")
    if _SCIENTIFIC.match(text):
        raise CleaningError(
            _(
                "The spreadsheet shows this number in scientific notation and has lost digits; format the column as text."
            )
        )
    match = _FLOAT_OF_INTEGER.match(text)
    if match:
        text = match.group(1)
    return text


def clean_code(value) -> str:
    """A number or an identifier such as T0001: digits cleaned as above, letters upper-cased."""
    text = clean_digits(value)
    return text.upper()


# Also what a web form says of a bad number: there, no spreadsheet changed the digits.
PHONE_FORMAT = _("A mobile number has 11 digits and starts with 1.")


def clean_phone(value) -> str:
    """A mainland mobile number: 11 digits starting with 1; +86, spaces and dashes dropped."""
    text = clean_digits(value)
    digits = re.sub(r"[\s\-().]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not re.fullmatch(r"1[3-9]\d{9}", digits):
        raise CleaningError(PHONE_FORMAT)
    return digits


def clean_phone_or_none(value) -> str | None:
    try:
        return clean_phone(value)
    except CleaningError:
        return None


_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
# A time of day as people and spreadsheet programs write it: 8:00, 08:00:00,
# 0:00:00.000, 12:00:00 AM, 上午8:00 (after NFKC, so 8：00 is 8:00 here).
_TIME_TEXT = (
    r"(?P<half1>上午|下午|AM|PM)?\s*"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<frac>\d+))?)?"
    r"\s*(?P<half2>上午|下午|AM|PM)?"
)
_TIME_PATTERN = re.compile(rf"^{_TIME_TEXT}$", re.IGNORECASE)
# A date followed by a time, as spreadsheets export a date cell (2012/9/1 0:00,
# 2012-09-01 00:00:00, 2012-09-01T00:00:00).
_DATE_AND_TIME = re.compile(rf"^(?P<date>[^:]+?)(?:T|\s+){_TIME_TEXT}$", re.IGNORECASE)
_NOT_A_DATE = _("This is not a date; write it like 2012-09-01.")
_NOT_A_TIME = _("This is not a time of day; write it like 08:00.")


def _seconds_of_day(match) -> int:
    """Seconds since midnight of a matched time, rounded to the nearest second."""
    hours, minutes, seconds = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    half = (match["half1"] or match["half2"] or "").upper()
    if half:
        # 12:00 AM is midnight and 12:00 PM noon; 13:00 PM means nothing.
        if not 1 <= hours <= 12:
            raise CleaningError(_NOT_A_TIME)
        hours = hours % 12 + (12 if half in ("PM", "下午") else 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise CleaningError(_NOT_A_TIME)
    return hours * 3600 + minutes * 60 + seconds + round(float(f"0.{match['frac'] or 0}"))


def _seconds_of_cell(value: dt.time) -> int:
    """Seconds since midnight of a time cell, rounded to the nearest second.

    Spreadsheets store times as fractions of a day; 08:00 can arrive as 07:59:59.997.
    """
    return round(value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6)


def _date_of(text: str) -> dt.date:
    text = text.replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise CleaningError(_NOT_A_DATE)


def _midnight_only(seconds: int) -> None:
    # A date cell exported as text carries midnight (2012/9/1 0:00); any other
    # time means the cell held a moment, not a day, and we do not guess which.
    if seconds:
        raise CleaningError(
            _("This is a date with a time of day; write only the date, like 2012-09-01.")
        )


def clean_date(value) -> dt.date | None:
    """A date as a date cell, 2012/9/1, 2012-09-01, 2012年9月1日 or 20120908.

    A date followed by midnight in any usual form (2012/9/1 0:00, 2012-09-01
    00:00:00, 2012-09-01T00:00) is that date; with any other time it is an error.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        _midnight_only(_seconds_of_cell(value.time()))
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value)
    if not text:
        return None
    match = _DATE_AND_TIME.match(text)
    if match:
        try:
            seconds = _seconds_of_day(match)
        except CleaningError:
            raise CleaningError(_NOT_A_DATE) from None
        _midnight_only(seconds)
        text = match["date"]
    return _date_of(text)


def clean_time(value) -> dt.time | None:
    """A time of day as a time cell or text such as 8:00, 08:00:00 or 8：00.

    The timetable is planned and shown in whole minutes, so a time with seconds
    (08:00:30, typed or in a cell) is an error rather than a start the page
    would show as 08:00 but that begins half a minute later. A cell's float
    noise (07:59:59.997 for 08:00) is rounded to the second first.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        seconds = _seconds_of_cell(value)
    elif isinstance(value, float) and 0 <= value < 1:
        # A time cell that reached us as a fraction of a day.
        seconds = round(value * 86400)
    else:
        match = _TIME_PATTERN.match(clean_text(value).replace(" ", ""))
        if not match:
            raise CleaningError(_NOT_A_TIME)
        seconds = _seconds_of_day(match)
    if seconds >= 86400:
        # 23:59:59.9 rounds up to the next midnight, which is not a time of this day.
        raise CleaningError(_NOT_A_TIME)
    if seconds % 60:
        raise CleaningError(
            _("Times on the timetable are whole minutes; write 08:00, not 08:00:30.")
        )
    return dt.time(seconds // 3600, (seconds // 60) % 60)


def split_list(value) -> list[str]:
    """Items separated by 、 , ， / ; ； or spaces: '语文、数学' → ['语文', '数学']."""
    text = clean_text(value)
    return [item for item in re.split(r"[、,，/;；\s]+", text) if item]


_FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")


def clean_label(value) -> str:
    """Free text people read (a title, a school's name): trimmed, whitespace folded.

    Unlike clean_text, Chinese punctuation (：，（）) is kept as typed; only
    full-width letters, digits and spaces become their half-width forms.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _FULL_WIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group()), str(value))
    return _SPACES.sub(" ", text).strip()
