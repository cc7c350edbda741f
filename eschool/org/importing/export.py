"""Writing lists as .xlsx or .csv, the import templates, and download headers.

An exported list uses the same headers as the import, so it can be edited in a
spreadsheet program and imported again.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font

SCHOOL_HEADERS = ["学校代码", "学校名称", "学段", "所属区域"]
TEACHER_HEADERS = ["工号", "姓名", "学校代码", "任教学科", "任教年级", "手机", "入职日期"]
STUDENT_HEADERS = [
    "学号", "姓名", "性别", "出生日期", "学校代码", "年级", "班级", "家长姓名", "家长手机",
]  # fmt: skip
TIMETABLE_HEADERS = [
    "日期", "开始时间", "结束时间", "学段", "年级", "学科", "课题", "授课教师工号", "类型", "简介",
]  # fmt: skip

TEMPLATES = {
    "schools": (SCHOOL_HEADERS, ["320106001", "南京市鼓楼区示范初级中学", "初中", "鼓楼区"]),
    "teachers": (
        TEACHER_HEADERS,
        [
            "T0001",
            "陈老师",
            "320106001",
            "语文、数学",
            "七年级、八年级",
            "13900139000",
            dt.date(2010, 9, 1),
        ],
    ),  # fmt: skip
    "students": (
        STUDENT_HEADERS,
        [
            "00123",
            "张三",
            "男",
            dt.date(2012, 9, 1),
            "320106001",
            "七年级",
            3,
            "张建国",
            "13800138000",
        ],
    ),  # fmt: skip
    "timetable": (
        TIMETABLE_HEADERS,
        [
            dt.date(2026, 12, 7),
            dt.time(8, 0),
            dt.time(8, 40),
            "初中",
            "七年级",
            "语文",
            "《春》朗读与赏析",
            "T0001",
            "课堂",
            "",
        ],
    ),  # fmt: skip
}

# Chinese file names, as a school office would name them.
FILE_NAMES = {
    "schools": "学校名单",
    "teachers": "教师名单",
    "students": "学生名单",
    "timetable": "课程表",
}
TEMPLATE_NAMES = {
    "schools": "学校导入模板",
    "teachers": "教师导入模板",
    "students": "学生导入模板",
    "timetable": "课程表导入模板",
}


def content_disposition(ascii_name: str, name: str) -> str:
    """`attachment` with an ASCII fallback and the real name per RFC 6266 / RFC 5987."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def write_xlsx(headers: list[str], rows: Iterable[list], *, title: str = "Sheet1") -> bytes:
    """A one-sheet workbook. Codes are written as text so their leading zeros survive."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, dt.time):
                cell.number_format = "hh:mm"
            elif isinstance(value, str):
                cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv(headers: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 with a BOM and CRLF line ends: what spreadsheet programs on Chinese Windows expect."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
