"""Reading a spreadsheet (.xlsx or .csv) into a header row and numbered rows.

Cells keep their types (an xlsx number stays an int or float, a date cell a
datetime) so that the cleaners can tell a number cell from typed text. Row
numbers are the ones the spreadsheet shows: the header is row 1.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

SUPPORTED_SUFFIXES = (".xlsx", ".csv")


class UnreadableFile(ValueError):
    """The file cannot be read at all; the message is for the person who sent it."""


@dataclass
class Table:
    headers: list[str]
    # (row number as the spreadsheet shows it, cell values aligned with headers)
    rows: Iterator[tuple[int, list]]


def _load_bytes(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        size = path.stat().st_size
        _check_size(size)
        return path.read_bytes(), filename or path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        stream: IO = source
        data = stream.read(settings.ESCHOOL_IMPORT_MAX_BYTES + 1)
        filename = filename or getattr(stream, "name", None)
    _check_size(len(data))
    return data, filename or ""


def _check_size(size: int) -> None:
    limit = settings.ESCHOOL_IMPORT_MAX_BYTES
    if size > limit:
        raise UnreadableFile(
            _("The file is larger than %(limit)s MB; split it into smaller files.")
            % {"limit": round(limit / (1024 * 1024), 1)}
        )


def detect_type(data: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower() if filename else ""
    if suffix in SUPPORTED_SUFFIXES:
        return suffix[1:]
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    raise UnreadableFile(
        _(
            "Only .xlsx and .csv files can be imported; save the spreadsheet in one of these formats."
        )
    )


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without a BOM) first, else GB18030, which covers GBK and GB2312."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            _("The file's characters cannot be read; save it as UTF-8 or GBK CSV.")
        ) from error


def _is_empty(values) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _numbered(rows) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """Header = the first non-empty row; later rows keep their spreadsheet numbers."""
    iterator = iter(enumerate(rows, start=1))
    for _number, values in iterator:
        if not _is_empty(values):
            headers = ["" if value is None else str(value) for value in values]
            break
    else:
        return [], iter(())
    width = len(headers)

    def body():
        for number, values in iterator:
            values = list(values)
            if _is_empty(values):
                continue
            if len(values) < width:
                values.extend([None] * (width - len(values)))
            yield number, values

    return headers, body()


def read_table(source, *, filename: str | None = None) -> Table:
    """The header row and the non-empty rows of the first sheet of a .xlsx or of a .csv."""
    data, filename = _load_bytes(source, filename)
    kind = detect_type(data, filename)
    if kind == "csv":
        text = decode_csv(data)
        headers, rows = _numbered(csv.reader(io.StringIO(text, newline="")))
    else:
        headers, rows = _read_xlsx(data)
    return Table(headers=headers, rows=rows)


def _read_xlsx(data: bytes):
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(
            _("This is not a spreadsheet that can be read; save it again as .xlsx.")
        ) from error
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        return [], iter(())
    headers, rows = _numbered(sheet.iter_rows(values_only=True))

    def closing():
        try:
            yield from rows
        finally:
            workbook.close()

    return headers, closing()
