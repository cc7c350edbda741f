"""The site is Chinese by default and English with the switch: the catalogues are complete.

A developer who adds a string without translating it gets a failing test naming
the string (test_every_string_in_the_code_has_a_chinese_translation).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from eschool.org.reference import GRADES, SUBJECTS

BASE_DIR = Path(settings.BASE_DIR)
LOCALE = BASE_DIR / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
SKIPPED_DIRS = {".venv", "node_modules", "var", ".git", "bench"}
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def untranslated(po: polib.POFile) -> list[str]:
    return [entry.msgid for entry in po if not entry.translated()]


def fuzzy(po: polib.POFile) -> list[str]:
    return [entry.msgid for entry in po if "fuzzy" in entry.flags]


def chinese_data_without_english(po: polib.POFile) -> list[str]:
    # Grade and subject names are Chinese msgids; the English catalogue names them.
    return [entry.msgid for entry in po if CJK.fullmatch(entry.msgid[:1]) and not entry.msgstr]


# The catalogues as committed ------------------------------------------------------
def test_every_chinese_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(ZH_PO))

    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert len(po) > 300
    assert untranslated(po) == []
    assert fuzzy(po) == []


def test_the_chinese_translations_keep_every_placeholder():
    po = polib.pofile(str(ZH_PO))
    broken = []
    for entry in po:
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        broken += [
            entry.msgid for text in translations if sorted(PLACEHOLDER.findall(text)) != wanted
        ]
    assert broken == []


def test_grade_and_subject_names_have_english_translations():
    po = polib.pofile(str(EN_PO))
    english = {entry.msgid: entry.msgstr for entry in po}

    assert fuzzy(po) == []
    assert chinese_data_without_english(po) == []
    assert [english[name] for _level, name, _stage in GRADES] == [
        "Kindergarten (junior class)",
        "Kindergarten (middle class)",
        "Kindergarten (senior class)",
        "Grade 1",
        "Grade 2",
        "Grade 3",
        "Grade 4",
        "Grade 5",
        "Grade 6",
        "Grade 7",
        "Grade 8",
        "Grade 9",
        "Senior 1",
        "Senior 2",
        "Senior 3",
    ]
    assert all(english[name] for name in SUBJECTS)
    assert (english["语文"], english["数学"], english["道德与法治"]) == (
        "Chinese",
        "Mathematics",
        "Morality and Law",
    )


def test_the_compiled_catalogues_are_current():
    for po_path in (ZH_PO, EN_PO):
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime, (
            f"{mo_path} is missing or older than its .po: run manage.py compile_translations"
        )


# The catalogue against the code ------------------------------------------------------
def _copy_sources(target: Path) -> None:
    for path in BASE_DIR.rglob("*"):
        relative = path.relative_to(BASE_DIR)
        if relative.parts[0] in SKIPPED_DIRS or path.suffix not in {".py", ".html"}:
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / relative)
    for po_path in (ZH_PO, EN_PO):
        relative = po_path.relative_to(BASE_DIR)
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(po_path, target / relative)


def test_every_string_in_the_code_has_a_chinese_translation(tmp_path):
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        reason = "GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        print(f"skipped: {reason}")
        pytest.skip(reason)
    tree = tmp_path / "tree"
    _copy_sources(tree)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(tree),
        "ESCHOOL_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "-l", "en"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr

    chinese = polib.pofile(str(tree / ZH_PO.relative_to(BASE_DIR)))
    english = polib.pofile(str(tree / EN_PO.relative_to(BASE_DIR)))
    # A new string that msgmerge matched to an old one arrives fuzzy: not translated.
    missing = [entry.msgid for entry in chinese if not entry.translated()]
    assert missing == [], (
        "strings without a Chinese translation; add them to locale/zh_Hans/LC_MESSAGES/django.po "
        "(make messages), then manage.py compile_translations"
    )
    assert chinese_data_without_english(english) == []
    assert fuzzy(english) == []


# Rendered pages ----------------------------------------------------------------------
def _text(response) -> str:
    return response.content.decode()


def test_the_login_page_is_chinese_by_default(client, db):
    html = _text(client.get(reverse("accounts:login")))

    assert "<h1>登录</h1>" in html
    assert '<html lang="zh-CN">' in html
    assert "Log in" not in html


def test_the_login_page_is_english_with_the_cookie(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = _text(client.get(reverse("accounts:login")))

    assert "<h1>Log in</h1>" in html
    assert "登录" not in html


def test_a_teachers_grades_and_subjects_read_in_the_pages_language(client, teacher):
    client.force_login(teacher)

    chinese = _text(client.get(reverse("accounts:home")))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _text(client.get(reverse("accounts:home")))

    assert "<dt>学科</dt><dd>语文、数学</dd>" in chinese
    assert "<dt>年级</dt><dd>七年级</dd>" in chinese
    assert "<dt>Subjects</dt><dd>Chinese, Mathematics</dd>" in english  # the list in English
    assert "<dt>Grades</dt><dd>Grade 7</dd>" in english


def test_a_students_homeroom_reads_in_the_pages_language(client, student):
    client.force_login(student)

    chinese = _text(client.get(reverse("accounts:home")))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _text(client.get(reverse("accounts:home")))

    assert "<dt>班级</dt><dd>七年级3班</dd>" in chinese
    assert "<dt>Homeroom</dt><dd>Grade 7 class 3</dd>" in english


def _missing_name_report(client, district_admin) -> str:
    from eschool.org.importing import import_file

    shared = BASE_DIR.parent / "shared" / "cases"
    cases = shared if shared.exists() else BASE_DIR / "eschool" / "org" / "tests" / "cases"
    assert import_file(cases / "schools_gbk.csv").committed
    client.force_login(district_admin)
    with open(cases / "students_missing_name.csv", "rb") as handle:
        response = client.post(reverse("org:import_upload"), {"file": handle}, follow=True)
    assert response.status_code == 200
    return _text(response)


def _report_rows(html: str) -> list[list[str]]:
    body = html.split('<table class="report">')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_import_report_is_chinese_by_default(client, district_admin):
    html = _missing_name_report(client, district_admin)

    assert _report_rows(html) == [["4", "姓名", "", "姓名不能为空。"]]
    for header in ("行号", "列", "值", "问题"):
        assert f'<th scope="col">{header}</th>' in html
    assert "未导入任何数据：发现 1 个问题。请修改文件后重新上传。" in html


def test_the_import_report_is_english_with_the_cookie(client, district_admin):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = _missing_name_report(client, district_admin)

    assert _report_rows(html) == [["4", "姓名", "", "The name is missing."]]
    for header in ("Row", "Column", "Value", "Problem"):
        assert f'<th scope="col">{header}</th>' in html


def test_form_labels_end_with_the_colon_of_the_pages_language():
    from django import forms
    from django.utils import translation

    class NameForm(forms.Form):
        name = forms.CharField(label="姓名")

    with translation.override("zh-hans"):
        assert NameForm()["name"].label_tag() == '<label for="id_name">姓名：</label>'
    with translation.override("en"):
        assert NameForm()["name"].label_tag() == '<label for="id_name">姓名:</label>'
