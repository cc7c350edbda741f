"""Import a generated xlsx of students (with parents) into a fresh SQLite database.

    python bench/import_people.py [--quick]

Prints `name: value` lines: the first import, then a re-import of the same file
(everything unchanged) and the ratio of the two, the headline (students per
second of the first import) last. Target: 20,000 students in under 60 s and
under 500 MB on a 2-core machine. --quick uses 2,000 students.
"""

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "子涵欣怡梓萱诗涵一诺雨桐浩宇宇轩梓豪俊杰思远嘉怡佳琪明轩晨曦若曦博文天佑雅琪文博静怡睿泽"
# A student's grade must be of the school's stage: the import refuses 五年级 at a 初中.
GRADES = {
    "小学": ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"],
    "初中": ["七年级", "初二", "九年级"],
}


def generate(
    path: Path, students: int, schools: list[tuple[str, str]], seed: int = 20261207
) -> None:
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("students")
    sheet.append(
        ["学号", "姓名", "性别", "出生日期", "学校代码", "年级", "班级", "家长姓名", "家长手机"]
    )
    phone = None
    for index in range(students):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
        # One child in ten shares a parent with the child before (siblings).
        if phone is None or rng.random() >= 0.1:
            phone = 13000000000 + index * 7 + rng.randrange(7)
            parent = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        code, stage = schools[index % len(schools)]
        sheet.append(
            [
                f"{index + 1:08d}",
                name,
                rng.choice("男女"),
                dt.datetime(2010 + rng.randrange(8), rng.randrange(1, 13), rng.randrange(1, 29)),
                code,
                rng.choice(GRADES[stage]),
                rng.randrange(1, 13),
                parent,
                phone,  # a number cell, as spreadsheets store phone numbers
            ]
        )
    workbook.save(path)


def peak_memory_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 students instead of 20,000")
    args = parser.parse_args()
    students = 2_000 if args.quick else 20_000

    workdir = Path(tempfile.mkdtemp(prefix="eschool-bench-import-"))
    os.environ["ESCHOOL_DATA_DIR"] = str(workdir)
    os.environ["ESCHOOL_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    from eschool.accounts.models import Student, User
    from eschool.org.importing import import_file

    call_command("migrate", verbosity=0)
    schools = [(f"3201069{n:02d}", "小学" if n < 10 else "初中") for n in range(20)]
    schools_csv = "学校代码,学校名称,学段\r\n" + "".join(
        f"{code},鼓楼区第{n + 1}学校,{stage}\r\n" for n, (code, stage) in enumerate(schools)
    )
    assert import_file(schools_csv.encode(), filename="schools.csv").committed

    path = workdir / "students.xlsx"
    started = time.perf_counter()
    generate(path, students, schools)
    print(f"generate_seconds: {time.perf_counter() - started:.2f}")
    print(f"file_mb: {path.stat().st_size / (1024 * 1024):.2f}")

    started = time.perf_counter()
    first = import_file(path)
    seconds = time.perf_counter() - started
    if not first.committed:
        raise SystemExit(f"import failed: {first.errors[:5]}")
    assert Student.objects.count() == students
    print(f"rows: {first.rows}")
    print(f"seconds: {seconds:.2f}")
    print(f"parents_created: {first.counts['parents']['new']}")
    print(f"users: {User.objects.count()}")
    print(f"peak_memory_mb: {peak_memory_mb():.1f}")

    started = time.perf_counter()
    second = import_file(path)
    reimport_seconds = time.perf_counter() - started
    assert second.counts["students"] == {"new": 0, "changed": 0, "unchanged": students}
    print(f"reimport_seconds: {reimport_seconds:.2f}")
    print(f"reimport_unchanged: {second.counts['students']['unchanged']}")
    print(f"first_to_reimport_ratio: {seconds / reimport_seconds:.2f}")
    print(f"peak_memory_mb_after_reimport: {peak_memory_mb():.1f}")
    print(f"students_per_second: {students / seconds:.0f}")


if __name__ == "__main__":
    main()
