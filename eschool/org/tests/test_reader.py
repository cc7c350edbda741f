import datetime as dt
import io

from openpyxl import Workbook

from eschool.org.importing import import_file
from eschool.org.importing.reader import read_table

from .conftest import case_path


def rows_of(table):
    return list(table.rows)


def test_gbk_csv_is_decoded_and_crlf_read():
    table = read_table(case_path("students_gbk.csv"))

    assert table.headers[0] == "学号"
    rows = rows_of(table)
    assert [number for number, _values in rows] == [2, 3, 4, 5, 6]
    assert rows[0][1][:2] == ["00123", "张\u3000三 "]


def test_utf8_bom_is_stripped_from_the_first_header():
    table = read_table(case_path("students_utf8_bom.csv"))

    assert table.headers == [
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


def test_utf8_without_bom_and_gb18030_rare_characters():
    text = "学号,姓名\r\n00123,𠀋明\r\n"
    assert rows_of(read_table(text.encode("utf-8"), filename="a.csv"))[0][1] == ["00123", "𠀋明"]
    assert rows_of(read_table(text.encode("gb18030"), filename="a.csv"))[0][1] == ["00123", "𠀋明"]


def test_empty_rows_are_skipped_and_numbers_kept():
    data = "学号,姓名\r\n00123,甲\r\n,\r\n\r\n00124,乙\r\n".encode()

    rows = rows_of(read_table(data, filename="a.csv"))

    assert rows == [(2, ["00123", "甲"]), (5, ["00124", "乙"])]


def test_xlsx_keeps_cell_types_and_row_numbers():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工号", "手机", "入职日期", "开始时间"])
    sheet.append(["T0001", 13900139000, dt.datetime(2010, 9, 1), dt.time(8, 0)])
    sheet.append([None, None, None, None])
    sheet.append(["T0002", 13900139001.0, "2015/8/20", None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows = rows_of(read_table(buffer.getvalue(), filename="t.xlsx"))

    assert rows[0] == (2, ["T0001", 13900139000, dt.datetime(2010, 9, 1), dt.time(8, 0)])
    assert rows[1][0] == 4
    assert rows[1][1][:3] == ["T0002", 13900139001, "2015/8/20"]


def test_a_file_over_the_limit_is_refused(db, settings):
    settings.ESCHOOL_IMPORT_MAX_BYTES = 100

    result = import_file(b"x" * 101, filename="big.csv")

    assert result.errors[0].row is None
    assert (
        result.errors[0].message == "The file is larger than 0.0 MB; split it into smaller files."
    )


def test_an_unknown_type_is_refused(db):
    result = import_file(b"%PDF-1.4", filename="list.pdf")

    assert result.errors[0].message == (
        "Only .xlsx and .csv files can be imported; save the spreadsheet in one of these formats."
    )


def test_a_broken_xlsx_is_refused(db):
    result = import_file(b"not a zip", filename="list.xlsx")

    assert result.errors[0].message == (
        "This is not a spreadsheet that can be read; save it again as .xlsx."
    )
