"""Fill Chinese translations into locale/zh_Hans from a JSON or Python dict file.

    .venv/bin/python tools/translate.py tools/new.json   # {"English msgid": "中文", ...}

Then `manage.py compile_translations`. Entries it fills lose their fuzzy flag;
it prints what is still untranslated.
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main() -> int:
    translations = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    po = polib.pofile(str(PO))
    for entry in po:
        if entry.msgid in translations:
            text = translations[entry.msgid]
            if entry.msgid_plural:
                entry.msgstr_plural = {0: text}
            else:
                entry.msgstr = text
            entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
    po.save()
    missing = [e.msgid for e in po if not e.translated() or "fuzzy" in e.flags]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
