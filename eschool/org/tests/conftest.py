import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from eschool.org.importing import import_file

_SHARED = Path(settings.BASE_DIR).parent / "shared" / "cases"
_COPY = Path(__file__).parent / "cases"


def case_path(name: str) -> Path:
    """A file of ../shared/cases/, or the copy kept here when ../shared is absent."""
    shared = _SHARED / name
    return shared if shared.exists() else _COPY / name


def csv_bytes(rows: list[list], *, encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


STUDENT_HEADER = [
    "学号",
    "姓名",
    "性别",
    "出生日期",
    "学校代码",
    "年级",
    "班级",
    "家长姓名",
    "家长手机",
]


@pytest.fixture
def case():
    return case_path


@pytest.fixture
def schools_loaded(db):
    result = import_file(case_path("schools_gbk.csv"))
    assert result.committed, result.errors
    return result


@pytest.fixture
def teachers_loaded(schools_loaded):
    result = import_file(case_path("teachers.xlsx"))
    assert result.committed, result.errors
    return result


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the site's default is Chinese (tested on the pages)."""
    with translation.override("en"):
        yield
