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
        assert compiled._catalog.get(key) == entry.msgstr, entry.msgid  # type: ignore[attr-defined]  # gettext's private catalog


def _translations_by_msgid(paths: list[Path]) -> dict[tuple[str, str], dict[str, str]]:
    """(context, msgid) → {catalog: translation} over the given catalogs."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for path in paths:
        for entry in polib.pofile(str(path)).translated_entries():
            text = entry.msgstr or " | ".join(
                entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)
            )
            found.setdefault((entry.msgctxt or "", entry.msgid), {})[str(path)] = text
    return found


def test_a_msgid_has_one_translation_across_the_catalogs_unless_it_has_a_context() -> None:
    """Django merges the apps' catalogs into one, so where two apps translate the same msgid
    differently one of them silently wins on the other's pages ("From" read 开始日期 on a time
    field). An ambiguous word gets a context (pgettext / {% translate … context … %})."""
    conflicts = {
        msgid: sorted(set(by_catalog.values()))
        for (context, msgid), by_catalog in _translations_by_msgid(CATALOGS).items()
        if len(set(by_catalog.values())) > 1
    }
    assert conflicts == {}


def test_the_check_sees_two_catalogs_disagreeing(tmp_path: Path) -> None:
    paths = []
    for app, word in (("core", "开始日期"), ("places", "开始时间")):
        po = polib.POFile()
        po.append(polib.POEntry(msgid="From", msgstr=word))
        po.append(polib.POEntry(msgid="From", msgctxt=app, msgstr=word))
        path = tmp_path / f"{app}.po"
        po.save(str(path))
        paths.append(path)
    found = _translations_by_msgid(paths)
    assert len(set(found[("", "From")].values())) == 2
    assert len(set(found[("core", "From")].values())) == 1
