"""Spreadsheet import and export: see eschool/org/README.md.

from eschool.org.importing import import_file, ImportResult

result = import_file("students.xlsx", actor=request.user, commit=False)
result.kind, result.counts, result.errors, result.ok, result.committed
"""

from .framework import (
    Column,
    ImportResult,
    Row,
    RowError,
    Spec,
    allowed_kinds_for,
    chunked,
    import_file,
    result_lines,
)

__all__ = [
    "Column",
    "ImportResult",
    "Row",
    "RowError",
    "Spec",
    "allowed_kinds_for",
    "chunked",
    "import_file",
    "result_lines",
]
