"""zh-Hans is the default language: every catalog must be complete and compiled."""

import gettext
from pathlib import Path

import polib
import pytest

CATALOGS = sorted(
    Path(__file__).resolve().parents[2].glob("**/locale/zh_Hans/LC_MESSAGES/django.po")
)


def test_there_is_a_catalog_for_the_project_and_each_app_with_strings() -> None:
    names = {p.parents[3].name for p in CATALOGS}
    assert {"linli", "accounts", "core", "planning"} <= names


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.parents[3].name))
def test_every_string_has_a_chinese_translation(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert missing == [], f"untranslated in {po_path}"
    assert fuzzy == [], f"fuzzy in {po_path}"


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.parents[3].name))
def test_the_compiled_catalog_matches_the_source(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    with po_path.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert compiled._catalog.get(key) == entry.msgstr, entry.msgid  # type: ignore[attr-defined]
