"""Fill Chinese translations into locale/zh_Hans from one or more JSON files.

    .venv/bin/python tools/translate.py tools/i18n/*.json   # each {"English msgid": "中文", ...}

Later files win when two give the same msgid. A key "context\x04msgid" fills only the entry
with that msgctxt; a plain msgid fills the entry without context, and an entry with a context
only while that one is still untranslated. For a plural entry the one Chinese form is used.
Then `manage.py compile_translations`. Entries it fills lose their fuzzy flag; it prints what
is still untranslated or fuzzy and exits 1 if anything is.
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CONTEXT = "\x04"


def load(paths: list[str]) -> dict[str, str]:
    translations: dict[str, str] = {}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise SystemExit(f"{path}: expected a JSON object of msgid: translation")
        for msgid, text in data.items():
            if not isinstance(text, str) or not text.strip():
                raise SystemExit(f"{path}: empty or non-text translation for {msgid!r}")
            translations[msgid] = text
    return translations


def pending(entry: polib.POEntry) -> bool:
    return not entry.translated() or "fuzzy" in entry.flags


def main() -> int:
    translations = load(sys.argv[1:])
    po = polib.pofile(str(PO), wrapwidth=79)
    filled = 0
    for entry in po:
        if entry.obsolete:
            continue
        text = None
        if entry.msgctxt is not None:
            text = translations.get(entry.msgctxt + CONTEXT + entry.msgid)
            if text is None and pending(entry):
                text = translations.get(entry.msgid)
        else:
            text = translations.get(entry.msgid)
        if text is None:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        filled += 1
    if filled:
        po.save()
    missing = [e.msgid for e in po if not e.obsolete and pending(e)]
    print(f"filled {filled} entries; {len(missing)} still untranslated or fuzzy")
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
