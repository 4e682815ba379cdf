"""The sample district is fictional: no real organisation of a real district is named in it.

The district was modelled on the style of a real programme (docs/sample-district.md credits it);
its organisations, roads and units must not be the real district's. The deny-list holds names
that were once in the sample or are easily taken from the real place; the pattern catches any
organisation or road named after the real district or city.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linli.sample.district import SyntheticDistrict, generate_district

SAMPLE = Path(__file__).resolve().parent.parent
DENY = (
    "上党区红十字会",
    "红十字会",
    "红十字",
    "蓝天救援队",
    "上党快速路",
    "晋阳物业",
    "仁爱社会工作服务中心",
    "上党区人民医院",
    "长治银行",
)
# An organisation, unit or road named after the real district or city (上党区X局, 长治市X公司 …).
NAMED_AFTER_REAL_PLACE = re.compile(
    r"(?:上党|长治)[区市]?[\u4e00-\u9fff]*(?:会|队|局|院|行|司|中心|站|所|路|街|校)"
)


def _sources() -> list[Path]:
    return [
        p
        for p in SAMPLE.rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".json", ".csv", ".txt", ".md"}
        and "tests" not in p.relative_to(SAMPLE).parts
    ]


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SAMPLE)))
def test_no_real_organisation_is_named_in_the_sample(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    assert [name for name in DENY if name in text] == []
    assert NAMED_AFTER_REAL_PLACE.findall(text) == []


def test_the_pattern_catches_a_real_name_coming_back() -> None:
    assert NAMED_AFTER_REAL_PLACE.findall('("上党区红十字会", "partner")') == ["上党区红十字会"]
    assert NAMED_AFTER_REAL_PLACE.findall("长治市第二人民医院") == ["长治市第二人民医院"]
    assert NAMED_AFTER_REAL_PLACE.findall("modelled on 长治市上党区 新晋邻") == []


@pytest.fixture(scope="module")
def drawing(tmp_path_factory: pytest.TempPathFactory) -> SyntheticDistrict:
    return generate_district(tmp_path_factory.mktemp("sample"), seed=7)


def test_the_drawn_names_are_fictional(drawing: SyntheticDistrict) -> None:
    names = [
        *(s.name for s in drawing.subdistricts),
        *(c.name for c in drawing.communities),
        *(c.name for c in drawing.compounds),
        *(f.name for f in drawing.facilities),
        drawing.pbf_path.read_bytes().decode("utf-8", errors="ignore"),
    ]
    assert [n for n in names if "上党" in n or "长治" in n or any(d in n for d in DENY)] == []
