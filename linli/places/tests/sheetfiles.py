"""Building .xlsx files for import tests (and the browser journey) in a few lines."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

STATION_HEADER = [
    "编码*",
    "名称*",
    "类型*",
    "社区编码",
    "地址",
    "经度*",
    "纬度*",
    "坐标系",
    "站长姓名",
    "站长手机",
    "功能",
    "便民设施",
    "周一",
    "周二",
    "周三",
    "周四",
    "周五",
    "周六",
    "周日",
    "节假日",
    "在用",
]


def station_row(code: str = "XF-101", name: str = "幸福苑二号驿站", /, **over: Any) -> list[Any]:
    values = {
        "编码*": code,
        "名称*": name,
        "类型*": "幸福驿站",
        "社区编码": "T14040401001",
        "地址": "幸福路12号",
        "经度*": 113.0712,
        "纬度*": 36.1815,
        "坐标系": "WGS-84",
        "站长姓名": "李梅",
        "站长手机": "13900002222",
        "功能": "议事、阅读",
        "便民设施": "饮水、卫生间",
        "周一": "08:30-12:00,14:00-18:00",
        "周二": "08:30-18:00",
        "周三": "08:30-18:00",
        "周四": "08:30-18:00",
        "周五": "08:30-18:00",
        "周六": "休息",
        "周日": "休息",
        "节假日": "节假日闭馆",
        "在用": "是",
    }
    values.update(over)
    return [values[h] for h in STATION_HEADER]


def xlsx(
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    merge: str | None = None,
    title: str = "驿站设施",
) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out
