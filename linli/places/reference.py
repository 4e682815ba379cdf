"""The installation's reference lists: facility categories, station functions, amenities, services.

``sync_reference_data`` is idempotent; the data migration and ``linli load_sample`` call it, and
staff may extend the lists later in the admin (existing rows are updated, never deleted).
"""

from __future__ import annotations

import csv
from importlib import resources

# The five functions of a station (五大功能).
STATION_FUNCTIONS = [
    ("deliberation", "议事", "Deliberation", "议事厅 协商 居民议事"),
    ("mediation", "调解", "Mediation", "调解室 矛盾纠纷 纠纷调解"),
    ("reading", "阅读", "Reading", "图书 书屋 读书 看书"),
    ("convenience", "便民", "Convenience services", "便民服务 便民"),
    ("activity", "活动", "Activities", "活动室 文体活动"),
]

AMENITIES = [
    ("drinking_water", "饮水", "Drinking water", "热水 喝水 开水"),
    ("phone_charging", "手机充电", "Phone charging", "充电 充电宝"),
    ("rest_seats", "休息座椅", "Rest seats", "休息 歇脚 座椅"),
    ("toilet", "卫生间", "Toilet", "厕所 洗手间"),
    ("aed", "AED除颤仪", "AED defibrillator", "AED 除颤 急救"),
    ("first_aid_kit", "急救箱", "First-aid kit", "药箱 急救"),
    ("microwave", "微波炉", "Microwave", "热饭 加热"),
    ("umbrella", "爱心雨伞", "Umbrella lending", "借伞 雨伞"),
    ("reading_glasses", "老花镜", "Reading glasses", "眼镜"),
    ("wheelchair", "轮椅借用", "Wheelchair lending", "轮椅"),
    ("wifi", "无线网络", "Wi-Fi", "WiFi 上网"),
    ("air_conditioning", "空调", "Air conditioning", "纳凉 取暖 避暑"),
]

SERVICE_CATEGORIES = [
    ("haircut", "理发", "Haircut", "剪发 剪头 理发 美发"),
    ("counselling", "心理咨询", "Psychological counselling", "心理 咨询 心理疏导"),
    ("moxibustion", "艾灸", "Moxibustion", "艾灸 中医 理疗"),
    ("guasha", "刮痧", "Gua sha", "刮痧 中医 理疗"),
    ("health_check", "健康检测", "Health check", "体检 血压 血糖 量血压"),
    ("calligraphy_chess", "书法棋牌", "Calligraphy and chess", "书法 下棋 象棋 棋牌"),
    ("legal_aid", "法律咨询", "Legal advice", "法律 律师 法律援助"),
    ("mediation", "矛盾调解", "Mediation", "调解 纠纷"),
    ("repair", "便民维修", "Household repairs", "维修 修理 家电 修鞋"),
    ("elderly_meals", "老年助餐", "Meals for the elderly", "助餐 老年餐 食堂 吃饭"),
    ("tutoring", "四点半课堂", "After-school care", "四点半 课堂 辅导 作业"),
    ("safety_training", "安全培训", "Safety training", "培训 急救 消防 红十字"),
    ("government_service", "政务服务", "Government services", "政务 办事 社保 医保"),
    ("parcel", "快递收发", "Parcels", "快递 包裹"),
    ("medicine", "自助购药", "Medicine cabinet", "药 买药 药柜"),
    ("volunteering", "志愿服务", "Volunteering", "志愿者 志愿"),
]


def facility_categories() -> list[dict[str, str]]:
    """The canonical facility categories, shared with linli.circle (data/categories.csv)."""
    text = resources.files("linli.circle").joinpath("data/categories.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def sync_reference_data(apps: object | None = None) -> None:
    """Create or update every reference list; safe to run again."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    get_model = apps.get_model  # type: ignore[attr-defined]  # a migration's app registry or the global one
    category_model = get_model("places", "FacilityCategory")
    for order, row in enumerate(facility_categories()):
        category_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "group": row["group"],
                "sort_order": order,
            },
        )
    for model_name, rows in (
        ("StationFunction", STATION_FUNCTIONS),
        ("Amenity", AMENITIES),
        ("ServiceCategory", SERVICE_CATEGORIES),
    ):
        model = get_model("places", model_name)
        for order, (code, zh, en, keywords) in enumerate(rows):
            model.objects.update_or_create(
                code=code,
                defaults={"name_zh": zh, "name_en": en, "keywords": keywords, "sort_order": order},
            )
