"""The health kiosk's default measurement catalogue: the 21 items of a 体检一体机.

LOINC codes are given where LOINC has a code for what the kiosk measures; basal metabolism,
the waist-hip ratio, bone density (a kiosk's ultrasound T-score) and the TCM constitution
self-test have none the FHIR export could claim. Plausible ranges are wide on purpose: they
refuse instrument glitches (a pulse of 0, a height of 17 m), not unusual patients.
Random glucose is not a default item (the follow-up thresholds are for fasting glucose); an
administrator can add it to the catalogue.
"""

from __future__ import annotations

from typing import NamedTuple


class Item(NamedTuple):
    code: str
    name_zh: str
    name_en: str
    unit: str
    loinc: str
    value_type: str
    min_value: float | None
    max_value: float | None


DEFAULT_ITEMS: tuple[Item, ...] = (
    Item("height", "身高", "Height", "cm", "8302-2", "number", 50, 250),
    Item("weight", "体重", "Weight", "kg", "29463-7", "number", 2, 300),
    Item("bmi", "体质指数", "Body mass index", "kg/m2", "39156-5", "number", 8, 80),
    Item("body_fat", "体脂率", "Body fat", "%", "41982-0", "number", 2, 75),
    Item("basal_metabolism", "基础代谢", "Basal metabolism", "kcal/d", "", "number", 500, 5000),
    Item("waist", "腰围", "Waist circumference", "cm", "8280-0", "number", 30, 250),
    Item("waist_hip_ratio", "腰臀比", "Waist-hip ratio", "", "", "number", 0.4, 2.0),
    Item("systolic", "收缩压", "Systolic blood pressure", "mmHg", "8480-6", "number", 50, 300),
    Item("diastolic", "舒张压", "Diastolic blood pressure", "mmHg", "8462-4", "number", 30, 200),
    Item("pulse", "脉搏", "Pulse", "/min", "8867-4", "number", 20, 250),
    Item("spo2", "血氧饱和度", "Oxygen saturation", "%", "59408-5", "number", 50, 100),
    Item("temperature", "体温", "Body temperature", "Cel", "8310-5", "number", 30, 45),
    Item("ecg", "心电图", "ECG interpretation", "", "11524-6", "text", None, None),
    Item("fasting_glucose", "空腹血糖", "Fasting glucose", "mmol/L", "14771-0", "number", 1, 35),
    Item(
        "total_cholesterol", "总胆固醇", "Total cholesterol", "mmol/L", "14647-2", "number", 1, 20
    ),
    Item("triglycerides", "甘油三酯", "Triglycerides", "mmol/L", "14927-8", "number", 0.1, 50),
    Item("hdl", "高密度脂蛋白胆固醇", "HDL cholesterol", "mmol/L", "14646-4", "number", 0.1, 5),
    Item("ldl", "低密度脂蛋白胆固醇", "LDL cholesterol", "mmol/L", "22748-8", "number", 0.1, 15),
    Item("uric_acid", "尿酸", "Uric acid", "umol/L", "14933-6", "number", 50, 1200),
    Item("bone_density", "骨密度", "Bone density (T-score)", "", "", "number", -6, 4),
    Item("tcm_constitution", "中医体质辨识", "TCM constitution", "", "", "text", None, None),
)
