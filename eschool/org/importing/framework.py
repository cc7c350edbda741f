"""The import framework: match headers, clean every row, plan, then apply in one transaction.

A kind of file is a `Spec`: its columns (with the header variants that schools
write), how one row is cleaned, how the cleaned rows become a plan (counts of
new, changed and unchanged records, computed from a few bulk reads) and how the
plan is applied (bulk writes). Nothing is written unless every row is valid.
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eschool.org.cleaning import CleaningError

from .reader import UnreadableFile, read_table

# Past this many problems the report stops growing: the file is clearly wrong.
MAX_ERRORS = 1000
# Bound the parameters of one `IN (...)` query (SQLite allows 999 in old builds).
CHUNK = 900


@dataclass(frozen=True)
class RowError:
    """One problem: row as the spreadsheet shows it (None: the whole file), column as written."""

    row: int | None
    column: str
    value: str
    message: str


@dataclass
class ImportResult:
    kind: str | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    rows: int = 0
    # How many problems there were in all, when the report was cut at MAX_ERRORS.
    error_total: int = 0
    # The actor may not import this file at all: no correction of it would help.
    refused: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problem_count(self) -> int:
        return max(self.error_total, len(self.errors))


@dataclass(frozen=True)
class Column:
    key: str
    names: tuple[str, ...]
    required: bool = False

    @property
    def label(self) -> str:
        return self.names[0]


class Report:
    """Collects the problems of a file while its rows are checked."""

    def __init__(self):
        self.errors: list[RowError] = []
        self.total = 0

    def add(self, row: int | None, column: str, value, message) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, display_value(value), str(message)))

    def __bool__(self):
        return self.total > 0


def display_value(value) -> str:
    """A cell as the person will recognise it in the report."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


_HINT = re.compile(r"\(.*?\)")


def normalise_header(text) -> str:
    """`学号*`, ` 学 号 `, `出生日期（YYYY-MM-DD）` all match their column."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text))
    text = _HINT.sub("", text)
    return re.sub(r"[\s*]+", "", text)


class _Invalid:
    """Marks a cell whose problem is already in the report."""


INVALID = _Invalid()


class Row:
    def __init__(self, number: int, values: dict[str, object], spec: "Spec"):
        self.number = number
        self.values = values
        self.spec = spec
        self.valid = True

    def raw(self, key: str):
        return self.values.get(key)

    def blank(self, key: str) -> bool:
        value = self.values.get(key)
        return value is None or (isinstance(value, str) and not value.strip())

    def error(self, key: str, message, value=INVALID) -> _Invalid:
        self.valid = False
        raw = self.values.get(key) if value is INVALID else value
        self.spec.report.add(self.number, self.spec.header_of(key), raw, message)
        return INVALID

    def clean(self, key: str, cleaner: Callable, *, required_message=None):
        """The cleaned cell, or INVALID with the problem reported; None for an empty cell."""
        if self.blank(key):
            if required_message is not None:
                return self.error(key, required_message)
            return None
        try:
            value = cleaner(self.values[key])
        except CleaningError as error:
            return self.error(key, error.message)
        if required_message is not None and value in (None, ""):
            return self.error(key, required_message)
        return value


class Spec:
    """One kind of file. Subclasses set `kind`, `columns` and `signature` and fill the hooks."""

    kind: str = ""
    columns: tuple[Column, ...] = ()
    # Keys whose columns, all present, tell that a file is of this kind.
    signature: tuple[str, ...] = ()
    # Names of the kinds of record counted, in the order they are shown.
    record_kinds: tuple[str, ...] = ()

    def __init__(self, *, actor, report: Report, headers: dict[str, str]):
        self.actor = actor
        self.report = report
        self.headers = headers  # key -> header as written in the file
        self.counts = {name: {"new": 0, "changed": 0, "unchanged": 0} for name in self.record_kinds}

    def header_of(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        for column in self.columns:
            if column.key == key:
                return column.label
        return key

    def count(self, record_kind: str, state: str, number: int = 1) -> None:
        self.counts[record_kind][state] += number

    # Hooks ------------------------------------------------------------------
    def check_actor(self) -> str | None:
        """A message when the actor may not import this kind of file at all."""
        return None

    def prepare(self) -> None:
        """Load the reference data that rows are checked against."""

    def clean_row(self, row: Row):
        """A cleaned record, or None when the row had problems (reported on `row`)."""
        raise NotImplementedError

    def plan(self, records: list) -> None:
        """Compare with the database: fill `self.counts`, report conflicts, remember the writes."""
        raise NotImplementedError

    def apply(self) -> None:
        """Write the plan. Runs inside a transaction."""
        raise NotImplementedError


# Kinds in the order they are tried: a timetable also has a 工号 column, and a
# student or teacher file may carry a 学校名称 column.
SPECS = {
    "timetable": "eschool.classroom.importing.TimetableSpec",
    "students": "eschool.org.importing.people.StudentSpec",
    "teachers": "eschool.org.importing.people.TeacherSpec",
    "schools": "eschool.org.importing.people.SchoolSpec",
}


def spec_class(kind: str) -> type[Spec]:
    return import_string(SPECS[kind])


def match_headers(
    spec_cls: type[Spec], headers: list[str]
) -> tuple[dict[str, int], dict[str, str]]:
    """key -> column index and key -> header as written, for the columns found."""
    by_name = {}
    for column in spec_cls.columns:
        for name in column.names:
            by_name[normalise_header(name)] = column.key
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = by_name.get(normalise_header(header))
        if key is not None and key not in positions:
            positions[key] = index
            written[key] = str(header).strip()
    return positions, written


def detect_kind(headers: list[str]) -> str | None:
    for kind in SPECS:
        positions, _written = match_headers(spec_class(kind), headers)
        if all(key in positions for key in spec_class(kind).signature):
            return kind
    return None


def allowed_kinds_for(actor) -> set[str]:
    """What a person may import: the system and the district everything, a school its people."""
    if actor is None:
        return set(SPECS)
    role = getattr(actor, "role", None)
    if role == "district_admin":
        return set(SPECS)
    if role == "school_admin" and actor.school_id:
        return {"students", "teachers"}
    return set()


KIND_NAMES = {
    "schools": lambda: _("schools"),
    "teachers": lambda: _("teachers"),
    "students": lambda: _("students"),
    "timetable": lambda: _("timetable"),
}
# What a kind of file is called as a heading (pages, the commands' first line).
FILE_KIND_NAMES = {
    "schools": gettext_lazy("Schools"),
    "teachers": gettext_lazy("Teachers"),
    "students": gettext_lazy("Students and parents"),
    "timetable": gettext_lazy("Timetable"),
}
# The records a file's counts are about (Spec.record_kinds).
RECORD_KIND_NAMES = {
    "schools": gettext_lazy("Schools"),
    "regions": gettext_lazy("Regions"),
    "teachers": gettext_lazy("Teachers"),
    "students": gettext_lazy("Students"),
    "parents": gettext_lazy("Parents"),
    "guardianships": gettext_lazy("Parent–child links"),
    "homerooms": gettext_lazy("Classes"),
    "sessions": gettext_lazy("Sessions"),
}


def import_file(
    source,
    *,
    filename: str | None = None,
    actor=None,
    commit: bool = True,
    allowed_kinds: Iterable[str] | None = None,
) -> ImportResult:
    """Check a spreadsheet and, when every row is valid and `commit` is true, apply it.

    `source` is a path, bytes or a binary file object. The kind of file comes
    from its headers. Any problem (unreadable file, missing column, bad value,
    a row out of the actor's scope) is reported in `errors` and nothing is
    written; otherwise `counts` says what was (or, with commit=False, would be)
    new, changed and unchanged. Importing the same file twice changes nothing.
    """
    result = ImportResult()
    try:
        table = read_table(source, filename=filename)
    except UnreadableFile as error:
        result.errors.append(RowError(None, "", "", str(error)))
        result.error_total = 1
        return result
    if not any(header.strip() for header in table.headers):
        result.errors.append(RowError(None, "", "", _("The file is empty.")))
        return result

    kind = detect_kind(table.headers)
    if kind is None:
        result.errors.append(
            RowError(
                1,
                "",
                "",
                _(
                    "The kind of list cannot be told from the column headers; "
                    "start from the template for schools, teachers, students or the timetable."
                ),
            )
        )
        return result
    result.kind = kind
    permitted = allowed_kinds_for(actor)
    if allowed_kinds is not None:
        permitted &= set(allowed_kinds)
    if kind not in permitted:
        result.refused = True
        result.errors.append(
            RowError(
                None,
                "",
                "",
                _("This file is a list of %(kind)s, which you may not import here.")
                % {"kind": KIND_NAMES[kind]()},
            )
        )
        return result

    spec_cls = spec_class(kind)
    positions, written = match_headers(spec_cls, table.headers)
    report = Report()
    spec = spec_cls(actor=actor, report=report, headers=written)
    message = spec.check_actor()
    if message:
        result.refused = True
        report.add(None, "", "", message)
    for column in spec_cls.columns:
        if column.required and column.key not in positions:
            report.add(
                1,
                column.label,
                "",
                _("The column %(column)s is missing.") % {"column": column.label},
            )
    if report:
        return _finish(result, spec, report)

    spec.prepare()
    records = []
    for number, cells in table.rows:
        result.rows += 1
        values = {
            key: cells[index] if index < len(cells) else None for key, index in positions.items()
        }
        row = Row(number, values, spec)
        record = spec.clean_row(row)
        if record is not None and row.valid:
            records.append(record)
    if result.rows == 0:
        report.add(None, "", "", _("The file has a header row but no rows of data under it."))
    if report:
        return _finish(result, spec, report)

    if not commit:
        spec.plan(records)
        return _finish(result, spec, report)
    try:
        with transaction.atomic():
            spec.plan(records)
            if not report:
                spec.apply()
                result.committed = True
    except IntegrityError:
        # Someone else saved the same people between our reads and writes; the
        # transaction is rolled back, so nothing of this file was written.
        result.committed = False
        report.add(None, "", "", _("The data changed while importing; import the file again."))
    return _finish(result, spec, report)


def _finish(result: ImportResult, spec: Spec, report: Report) -> ImportResult:
    result.errors = report.errors
    result.error_total = report.total
    result.counts = spec.counts if not report else {}
    return result


def chunked(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def count_summary(record_kind: str, states: dict[str, int]) -> str:
    """One kind of record's counts as a sentence: 'Students: 5 new, 0 changed, 0 unchanged'."""
    return _("%(records)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged") % {
        "records": RECORD_KIND_NAMES.get(record_kind, record_kind),
        **states,
    }


def result_lines(result: ImportResult) -> list[str]:
    """The result as plain text lines, for commands and logs."""
    if result.errors:
        lines = [
            _("Nothing was imported: %(count)s problem(s) found.") % {"count": result.problem_count}
        ]
        for error in result.errors:
            lines.append(
                "{row}\t{column}\t{value}\t{message}".format(
                    row=_("row %(row)s") % {"row": error.row} if error.row else _("file"),
                    column=error.column,
                    value=error.value,
                    message=error.message,
                )
            )
        return lines
    return [count_summary(record_kind, states) for record_kind, states in result.counts.items()]
