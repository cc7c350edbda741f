import io

import pytest
from django.core.management import call_command
from django.utils import translation

from eschool.accounts.models import Student
from eschool.classroom.models import Session
from eschool.org.models import School

from .conftest import case_path


@pytest.fixture(autouse=True)
def _site_in_english(settings):
    # The commands speak the site's default language; these tests read English.
    settings.LANGUAGE_CODE = "en"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_import_people_prints_counts_and_exits_0(db):
    code, out, _err = run("import_people", str(case_path("schools_gbk.csv")))

    assert code == 0
    assert out.splitlines() == [
        "Schools: 5 rows",
        "Schools: 5 new, 0 changed, 0 unchanged",
        "Regions: 1 new, 0 changed, 1 unchanged",
    ]
    assert School.objects.count() == 5


def test_import_people_dry_run_writes_nothing(db):
    code, out, _err = run("import_people", str(case_path("schools_gbk.csv")), "--dry-run")

    assert code == 0
    assert out.splitlines()[0] == "Schools: 5 rows (dry run: nothing was saved)"
    assert School.objects.count() == 0


def test_import_people_exits_1_with_the_row_report(schools_loaded):
    code, _out, err = run("import_people", str(case_path("students_missing_name.csv")))

    assert code == 1
    assert err.splitlines() == [
        "Nothing was imported: 1 problem(s) found.",
        "row 4\t姓名\t\tThe name is missing.",
    ]
    assert Student.objects.count() == 0


def test_import_people_refuses_a_timetable_and_names_the_command_for_it(db):
    path = case_path("timetable.xlsx")

    code, _out, err = run("import_people", str(path))

    assert code == 1
    assert err.splitlines() == [
        f"Nothing was imported: {path} is a timetable: import it with manage.py import_timetable."
    ]
    assert Session.objects.count() == 0


def test_import_timetable_refuses_a_list_of_people_and_names_the_command_for_it(db):
    path = case_path("schools_gbk.csv")

    code, _out, err = run("import_timetable", str(path))

    assert code == 1
    assert err.splitlines() == [
        f"Nothing was imported: {path} is a list of schools, teachers or students, "
        "not a timetable: import it with manage.py import_people."
    ]
    assert School.objects.count() == 0


@pytest.mark.parametrize("command", ["import_people", "import_timetable"])
def test_a_mistyped_path_exits_1_with_a_sentence_not_a_traceback(db, tmp_path, command):
    missing = tmp_path / "学生名单.xlsx"

    code, out, err = run(command, str(missing))

    assert code == 1
    assert out == ""
    assert err.splitlines() == [f"Nothing was imported: there is no file {missing}."]


@pytest.mark.parametrize("dry_run", [False, True])
def test_import_timetable_exits_0_with_counts(teachers_loaded, dry_run):
    args = ["import_timetable", str(case_path("timetable.xlsx"))] + (
        ["--dry-run"] if dry_run else []
    )

    code, out, _err = run(*args)

    assert code == 0
    assert out.splitlines()[1] == "Sessions: 5 new, 0 changed, 0 unchanged"
    assert Session.objects.count() == (0 if dry_run else 5)


def test_import_timetable_without_the_teachers_exits_1(schools_loaded):
    code, _out, err = run("import_timetable", str(case_path("timetable.xlsx")))

    assert code == 1
    assert err.splitlines()[0] == "Nothing was imported: 5 problem(s) found."
    assert (
        err.splitlines()[1] == "row 2\t授课教师工号\tT0001\tNo teacher has the staff number T0001."
    )
    assert Session.objects.count() == 0


def test_the_commands_speak_the_sites_language_whatever_is_active(settings, schools_loaded):
    # Chinese, the default: even when the caller has English active (as these tests do).
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        code, out, _err = run("import_people", str(case_path("schools_gbk.csv")), "--dry-run")
        failed, _out, err = run("import_people", str(case_path("students_missing_name.csv")))

    assert code == 0
    assert out.splitlines()[1:] == ["学校：新增 0，变更 0，不变 5", "地区：新增 0，变更 0，不变 2"]
    assert failed == 1
    assert err.splitlines() == [
        "未导入任何数据：发现 1 个问题。",
        "第 4 行\t姓名\t\t姓名不能为空。",
    ]
