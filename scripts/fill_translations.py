"""Fill empty msgstr entries of zh_Hans catalogs from the JSON glossaries the apps keep.

Several engineers add strings to one app at once; each keeps ``<app>/i18n/<area>.json``
({msgid: 中文}) and this script merges them into the catalogs that ``make messages`` produced,
never overwriting a translation already in a .po file. It reports what is still untranslated.
A msgid with a context (pgettext) is keyed ``"context\\u0004msgid"`` in the JSON, gettext's own
spelling, and is never filled from the bare msgid's translation: the context exists because the
two mean different things.

    python scripts/fill_translations.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def glossary() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(ROOT.glob("linli/**/i18n/*.json")):
        merged.update(json.loads(path.read_text("utf-8")))
    return merged


def main() -> int:
    check = "--check" in sys.argv
    words = glossary()
    missing = 0
    for po_path in sorted(ROOT.glob("linli/**/locale/zh_Hans/LC_MESSAGES/django*.po")):
        po = polib.pofile(str(po_path))
        changed = False
        for entry in po:
            if entry.obsolete:
                continue
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            # makemessages' fuzzy matches are guesses from a similar msgid ("Phone" for
            # "phone"); compilemessages leaves them out, so they count as untranslated.
            fuzzy = "fuzzy" in entry.flags
            if entry.msgid_plural:
                if (fuzzy or not any(entry.msgstr_plural.values())) and key in words:
                    entry.msgstr_plural = {0: words[key]}
                    changed = True
            elif (not entry.msgstr or fuzzy) and key in words:
                entry.msgstr = words[key]
                changed = True
            if fuzzy and key in words:
                entry.flags.remove("fuzzy")
            untranslated = (
                "fuzzy" in entry.flags
                or (not entry.msgstr and not entry.msgid_plural)
                or bool(entry.msgid_plural and not any(entry.msgstr_plural.values()))
            )
            if untranslated:
                missing += 1
                print(f"untranslated: {po_path.relative_to(ROOT)}: {entry.msgid!r}")
        if changed and not check:
            po.save(str(po_path))
            po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"{missing} untranslated strings")
    return 1 if check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
