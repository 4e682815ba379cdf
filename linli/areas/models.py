"""Areas: the administrative hierarchy every scope and every record stands on.

District (区) → Subdistrict (街道) → Community (社区) → Grid (网格). Accounts scope users to
an area; places, planning and the feature apps hang their records on one. Every record belongs to
exactly one district (``district`` is part of every unique key), so one installation can serve a
city or a province.

The models moved here from ``linli.places`` (issue #10) with their tables unchanged; they still
carry the ``places_`` table names.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

LON_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]
LAT_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]


class District(models.Model):
    """区 — the root of every scope."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_sample = models.BooleanField(
        _("sample data"), default=False, help_text=_("Fictional data shipped for demonstration.")
    )
    centre_lon = models.FloatField(_("centre longitude"), default=0, validators=LON_VALIDATORS)
    centre_lat = models.FloatField(_("centre latitude"), default=0, validators=LAT_VALIDATORS)
    # Bounding box of the district (WGS-84), used to refuse imported coordinates far outside it.
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    network_file = models.CharField(
        _("street network file"),
        max_length=300,
        blank=True,
        help_text=_(
            "OSM .pbf file of the district's walking network, relative to the data folder."
        ),
    )

    class Meta:
        # The table kept the name it had when places owned the model (see migrations/0001).
        db_table = "places_district"
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name

    def contains(self, lon: float, lat: float, *, margin_deg: float = 0.02) -> bool:
        """Whether a WGS-84 point lies within the district's bounding box (plus ~2 km)."""
        if None in (self.min_lon, self.min_lat, self.max_lon, self.max_lat):
            return True
        assert self.min_lon is not None
        assert self.max_lon is not None
        assert self.min_lat is not None
        assert self.max_lat is not None
        return (
            self.min_lon - margin_deg <= lon <= self.max_lon + margin_deg
            and self.min_lat - margin_deg <= lat <= self.max_lat + margin_deg
        )


class Subdistrict(models.Model):
    """街道 — the level under the district (not a street: streets are roads)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="subdistricts")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        # The table kept the name it had when places owned the model (see migrations/0001).
        db_table = "places_subdistrict"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="subdistrict_code_unique"),
        ]
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """社区 — the residents' committee area; runs stations and activities."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="communities")
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="communities"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        # The table kept the name it had when places owned the model (see migrations/0001).
        db_table = "places_community"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="community_code_unique"),
        ]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """网格 — the smallest management cell, walked by a grid worker."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="grids")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        # The table kept the name it had when places owned the model (see migrations/0001).
        db_table = "places_grid"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="grid_code_unique")
        ]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return self.name
