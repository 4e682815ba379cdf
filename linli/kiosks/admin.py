"""The measurement catalogue is configured in the admin (the 21 default items come first)."""

from __future__ import annotations

from django.contrib import admin

from linli.kiosks.models import MeasurementItem


@admin.register(MeasurementItem)
class MeasurementItemAdmin(admin.ModelAdmin[MeasurementItem]):
    list_display = ("code", "name_zh", "unit", "loinc", "min_value", "max_value", "is_active")
    list_editable = ("min_value", "max_value", "is_active")
    ordering = ("sort_order", "code")
