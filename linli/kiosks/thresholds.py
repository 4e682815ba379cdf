"""Follow-up thresholds (随访阈值): which readings put a resident on the 异常待随访 list.

A threshold table is versioned (``ThresholdTable`` rows hold the rules as JSON and the date
from which they apply); a reading is judged by the table in force on the day it was measured,
and the follow-up records the version, so a later change of criteria never rewrites history.

The default table follows the Chinese guidelines the family-doctor teams work with:

* blood pressure (中国高血压防治指南 2018): ≥ 140 systolic or ≥ 90 diastolic mmHg; ≥ 180 / ≥ 110
  is urgent;
* fasting glucose ≥ 7.0 mmol/L (diabetes range, 中国2型糖尿病防治指南);
* BMI ≥ 24 overweight, ≥ 28 obese (中国成人超重和肥胖症预防控制指南);
* lipids (中国成人血脂异常防治指南 2016): total cholesterol ≥ 6.2, triglycerides ≥ 2.3,
  LDL ≥ 4.1 mmol/L, HDL < 1.0 mmol/L;
* uric acid > 420 µmol/L (hyperuricaemia);
* SpO2 < 95 %, and < 90 % urgent (the issue names 95 %; the urgent step is our decision).

Pure functions: no database, so the edges can be tested exhaustively.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DEFAULT_VERSION = "2026-1"

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<": operator.lt,
    "<=": operator.le,
}
LEVELS = ("abnormal", "urgent")

# What a finding is called on the doctor's list; the rules refer to these by code.
FINDINGS: dict[str, Promise] = {
    "high_blood_pressure": _("High blood pressure"),
    "high_glucose": _("High fasting glucose"),
    "overweight": _("Overweight"),
    "obese": _("Obese"),
    "high_cholesterol": _("High total cholesterol"),
    "high_triglycerides": _("High triglycerides"),
    "high_ldl": _("High LDL cholesterol"),
    "low_hdl": _("Low HDL cholesterol"),
    "high_uric_acid": _("High uric acid"),
    "low_spo2": _("Low oxygen saturation"),
}


def _rule(item: str, op: str, value: float, level: str, finding: str) -> dict[str, Any]:
    return {"item": item, "op": op, "value": value, "level": level, "finding": finding}


# Within an item, milder rules come first: the last rule a value meets is the finding.
DEFAULT_RULES: list[dict[str, Any]] = [
    _rule("systolic", ">=", 140, "abnormal", "high_blood_pressure"),
    _rule("systolic", ">=", 180, "urgent", "high_blood_pressure"),
    _rule("diastolic", ">=", 90, "abnormal", "high_blood_pressure"),
    _rule("diastolic", ">=", 110, "urgent", "high_blood_pressure"),
    _rule("fasting_glucose", ">=", 7.0, "abnormal", "high_glucose"),
    _rule("bmi", ">=", 24, "abnormal", "overweight"),
    _rule("bmi", ">=", 28, "abnormal", "obese"),
    _rule("total_cholesterol", ">=", 6.2, "abnormal", "high_cholesterol"),
    _rule("triglycerides", ">=", 2.3, "abnormal", "high_triglycerides"),
    _rule("ldl", ">=", 4.1, "abnormal", "high_ldl"),
    _rule("hdl", "<", 1.0, "abnormal", "low_hdl"),
    _rule("uric_acid", ">", 420, "abnormal", "high_uric_acid"),
    _rule("spo2", "<", 95, "abnormal", "low_spo2"),
    _rule("spo2", "<", 90, "urgent", "low_spo2"),
]


@dataclass(frozen=True)
class Finding:
    """A reading outside a threshold: which rule, how serious."""

    item: str
    finding: str
    level: str
    op: str
    limit: float

    @property
    def label(self) -> str:
        """The finding's name in the active language."""
        return str(FINDINGS.get(self.finding, self.finding))

    @property
    def is_urgent(self) -> bool:
        return self.level == "urgent"


def validate_rules(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Problems of a rule list (empty if it can be used), each naming the rule's position."""
    problems = []
    for n, rule in enumerate(rules, start=1):
        if rule.get("op") not in OPERATORS:
            problems.append(f"rule {n}: op must be one of {', '.join(OPERATORS)}")
        if rule.get("level") not in LEVELS:
            problems.append(f"rule {n}: level must be abnormal or urgent")
        if rule.get("finding") not in FINDINGS:
            problems.append(f"rule {n}: unknown finding {rule.get('finding')!r}")
        if not isinstance(rule.get("value"), (int, float)) or isinstance(rule.get("value"), bool):
            problems.append(f"rule {n}: value must be a number")
        if not isinstance(rule.get("item"), str) or not rule.get("item"):
            problems.append(f"rule {n}: item is required")
    return problems


def evaluate(rules: Sequence[Mapping[str, Any]], item: str, value: float | str) -> Finding | None:
    """The finding for one reading, or None when it is within every threshold.

    Text readings (ECG, TCM constitution) are never judged here: a doctor reads them.
    """
    if isinstance(value, str):
        return None
    found: Finding | None = None
    for rule in rules:
        if rule["item"] != item:
            continue
        if OPERATORS[rule["op"]](value, rule["value"]):
            candidate = Finding(
                item=item,
                finding=rule["finding"],
                level=rule["level"],
                op=rule["op"],
                limit=float(rule["value"]),
            )
            # The more serious level wins; at the same level the later (stricter) rule does.
            if found is None or LEVELS.index(candidate.level) >= LEVELS.index(found.level):
                found = candidate
    return found
