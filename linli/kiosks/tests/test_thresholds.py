"""The follow-up thresholds at their edges, and against a plain reference for every value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.kiosks.thresholds import DEFAULT_RULES, evaluate, validate_rules


def _judge(item: str, value: float) -> tuple[str, str] | None:
    found = evaluate(DEFAULT_RULES, item, value)
    return None if found is None else (found.finding, found.level)


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ("systolic", 139, None),
        ("systolic", 139.9, None),
        ("systolic", 140, ("high_blood_pressure", "abnormal")),
        ("systolic", 179, ("high_blood_pressure", "abnormal")),
        ("systolic", 180, ("high_blood_pressure", "urgent")),
        ("diastolic", 89, None),
        ("diastolic", 90, ("high_blood_pressure", "abnormal")),
        ("diastolic", 109, ("high_blood_pressure", "abnormal")),
        ("diastolic", 110, ("high_blood_pressure", "urgent")),
        ("fasting_glucose", 6.9, None),
        ("fasting_glucose", 6.99, None),
        ("fasting_glucose", 7.0, ("high_glucose", "abnormal")),
        ("bmi", 23.9, None),
        ("bmi", 24.0, ("overweight", "abnormal")),
        ("bmi", 27.9, ("overweight", "abnormal")),
        ("bmi", 28.0, ("obese", "abnormal")),
        ("total_cholesterol", 6.19, None),
        ("total_cholesterol", 6.2, ("high_cholesterol", "abnormal")),
        ("triglycerides", 2.29, None),
        ("triglycerides", 2.3, ("high_triglycerides", "abnormal")),
        ("ldl", 4.09, None),
        ("ldl", 4.1, ("high_ldl", "abnormal")),
        ("hdl", 1.0, None),
        ("hdl", 0.99, ("low_hdl", "abnormal")),
        ("uric_acid", 420, None),
        ("uric_acid", 421, ("high_uric_acid", "abnormal")),
        ("spo2", 95, None),
        ("spo2", 94, ("low_spo2", "abnormal")),
        ("spo2", 90, ("low_spo2", "abnormal")),
        ("spo2", 89, ("low_spo2", "urgent")),
        ("pulse", 150, None),
    ],
)
def test_the_default_thresholds_at_their_edges(
    item: str, value: float, expected: tuple[str, str] | None
) -> None:
    assert _judge(item, value) == expected


def test_text_readings_are_never_judged() -> None:
    assert evaluate(DEFAULT_RULES, "ecg", "ST段压低") is None


def test_the_default_rules_are_valid_and_a_broken_rule_is_named() -> None:
    assert validate_rules(DEFAULT_RULES) == []
    problems = validate_rules([{"item": "bmi", "op": "=>", "value": "24", "level": "bad"}])
    assert problems == [
        "rule 1: op must be one of >=, >, <, <=",
        "rule 1: level must be abnormal or urgent",
        "rule 1: unknown finding None",
        "rule 1: value must be a number",
    ]


@given(st.floats(min_value=50, max_value=300, allow_nan=False))
def test_systolic_matches_the_guideline_for_every_value(value: float) -> None:
    reference = "urgent" if value >= 180 else "abnormal" if value >= 140 else None
    found = evaluate(DEFAULT_RULES, "systolic", value)
    assert (found.level if found else None) == reference


@given(st.floats(min_value=8, max_value=80, allow_nan=False))
def test_bmi_matches_the_chinese_criteria_for_every_value(value: float) -> None:
    reference = "obese" if value >= 28 else "overweight" if value >= 24 else None
    found = evaluate(DEFAULT_RULES, "bmi", value)
    assert (found.finding if found else None) == reference
