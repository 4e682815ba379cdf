"""Planning: living-circle analyses (十分钟生活圈分析) of a district and what they found.

An ``AnalysisRun`` is one execution of the ``linli.circle`` engine over the district's street
network, compounds and active stations. Its results are loaded into rows so the console can filter
them by scope: ``CompoundAccess`` (minutes to the nearest facility of each category),
``Gap`` (缺口, a compound lacking a required category within the standard's distance),
``CoverageRow`` (people within 5/10/15 minutes and within the standard's distances, per area),
and ``SitingRun`` (选址, proposed new sites). Every record belongs to one district.
"""

from __future__ import annotations

import math
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.places.models import Community, Compound, District, Station, Subdistrict


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class AnalysisRun(models.Model):
    """十分钟生活圈分析 — one run of the living-circle engine over a district."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="analysis_runs")
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    speed_m_s = models.FloatField(_("walking speed (m/s)"), default=1.0)
    rules_file = models.CharField(_("rules file"), max_length=300, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Filled when the run finishes: compounds, population, categories, unsnapped points, dropped
    # network parts and timings (see services._summary); the console and load_sample show it.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = (models.Index(fields=["district", "status"]),)
        verbose_name = _("living-circle analysis")
        verbose_name_plural = _("living-circle analyses")

    def __str__(self) -> str:
        return f"{self.district} #{self.pk}"

    @property
    def run_dir(self) -> Path:
        """Where the engine's inputs and outputs for this run live."""
        return Path(settings.VAR_DIR) / "analyses" / str(self.pk)

    @property
    def is_active(self) -> bool:
        """Whether the run is still waiting or working (the console polls while it is)."""
        return self.status in ACTIVE_STATUSES

    @property
    def is_done(self) -> bool:
        """Whether the run finished and its results are loaded."""
        return self.status == RunStatus.DONE

    @property
    def summary_line(self) -> str:
        """One line for logs and ``linli load_sample``: what was analysed, or why it failed."""
        if self.status == RunStatus.FAILED:
            return self.error.splitlines()[0] if self.error else "failed"
        if self.status != RunStatus.DONE:
            return self.get_status_display()
        s = self.summary
        seconds = s.get("timings", {}).get("total", 0.0)
        return (
            f"{s.get('compounds', 0):,} compounds, {s.get('population', 0):,} people, "
            f"{len(s.get('categories', []))} categories, {s.get('gaps', 0):,} gaps, "
            f"{seconds:.1f} s"
        )


class CompoundAccess(models.Model):
    """Walking distance from a compound's best gate to the nearest facility of one category."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="access")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("facility category"), max_length=40)
    # Empty when no facility of the category is reachable on the walking network.
    meters = models.FloatField(_("walking distance (m)"), null=True, blank=True)
    minutes = models.FloatField(_("walking time (min)"), null=True, blank=True)
    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("nearest facility"),
    )

    class Meta:
        ordering = ("compound", "category")
        constraints = (
            models.UniqueConstraint(
                fields=["run", "compound", "category"], name="access_unique_per_run"
            ),
        )
        indexes = (models.Index(fields=["run", "category"]),)
        verbose_name = _("walking access")
        verbose_name_plural = _("walking access")

    def __str__(self) -> str:
        return f"{self.compound} → {self.category}"


class Gap(models.Model):
    """缺口 — a compound lacking a required facility category within the standard's distance.

    ``key`` names the gap independently of the run (compound code, standard, level, category);
    a new run carries the status of the previous run's gap with the same key over, so a gap that
    planners dismissed stays dismissed and one they accepted (to become a needs-list entry later)
    stays accepted.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("gap status", "Open")
        ACCEPTED = "accepted", pgettext_lazy("gap status", "Accepted")
        DISMISSED = "dismissed", pgettext_lazy("gap status", "Dismissed")

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="gaps")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    category = models.CharField(_("facility category"), max_length=40)
    standard = models.CharField(_("standard"), max_length=40)
    level = models.CharField(_("level"), max_length=20)
    threshold_m = models.FloatField(_("required within (m)"))
    # Empty when no facility of the category is reachable at all.
    meters = models.FloatField(_("walking distance (m)"), null=True, blank=True)
    shortfall_m = models.FloatField(_("shortfall (m)"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population affected"), default=0)
    households = models.PositiveIntegerField(_("households affected"), default=0)
    source = models.CharField(_("source"), max_length=300, blank=True)
    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("nearest facility"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    status_note = models.CharField(_("note"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("standard", "level", "category", "-shortfall_m")
        constraints = (
            models.UniqueConstraint(fields=["run", "key"], name="gap_key_unique_per_run"),
        )
        indexes = (models.Index(fields=["run", "category"]), models.Index(fields=["key"]))
        verbose_name = _("gap")
        verbose_name_plural = _("gaps")

    def __str__(self) -> str:
        return f"{self.compound} · {self.category} · {self.standard} {self.level}"

    @property
    def reachable(self) -> bool:
        """Whether any facility of the category is reachable at all."""
        return self.meters is not None

    @staticmethod
    def make_key(*, compound_code: str, standard: str, level: str, category: str) -> str:
        """The run-independent identity of a gap."""
        return f"{compound_code}|{standard}|{level}|{category}"


class CoverageRow(models.Model):
    """People and households within one threshold of one category in one area.

    Thresholds are walking times (``5min``, ``10min``, ``15min``) and the standard's distances
    (``300m``, ``500m``, ``1000m``). ``subdistrict``/``community`` are both empty for the whole
    district, ``community`` empty for a subdistrict row; the scope filter relies on that.
    """

    class Area(models.TextChoices):
        DISTRICT = "district", _("Whole district")
        SUBDISTRICT = "subdistrict", _("Subdistrict")
        COMMUNITY = "community", _("Community")

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="coverage")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    area = models.CharField(pgettext_lazy("coverage", "area"), max_length=12, choices=Area.choices)
    subdistrict = models.ForeignKey(
        Subdistrict, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(_("facility category"), max_length=40)
    threshold = models.CharField(_("threshold"), max_length=12)
    limit_m = models.FloatField(_("distance limit (m)"))
    population = models.FloatField(_("population within"))
    households = models.FloatField(_("households within"))
    total_population = models.FloatField(_("population"))
    total_households = models.FloatField(_("households"))

    class Meta:
        ordering = ("area", "subdistrict", "community", "category", "limit_m")
        indexes = (models.Index(fields=["run", "area", "category"]),)
        verbose_name = _("coverage")
        verbose_name_plural = _("coverage")

    def __str__(self) -> str:
        return f"{self.area} {self.category} {self.threshold}"

    @property
    def population_share(self) -> float:
        """Covered share of the area's population (0 when it has none)."""
        if not self.total_population or math.isnan(self.total_population):
            return 0.0
        return self.population / self.total_population


class CandidateSource(models.TextChoices):
    """Where a siting looks for sites: every street junction, or premises planners listed."""

    JUNCTIONS = "junctions", _("Street junctions")
    PREMISES = "premises", _("Listed premises")


class SitingRun(models.Model):
    """选址 — choosing k new sites of a category that newly cover the most people."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="sitings")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("facility category"), max_length=40)
    k = models.PositiveSmallIntegerField(_("number of new sites"))
    radius_m = models.FloatField(_("walking radius (m)"))
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    candidate_source = models.CharField(
        _("candidate sites"),
        max_length=10,
        choices=CandidateSource.choices,
        default=CandidateSource.JUNCTIONS,
    )
    # The uploaded file's name (or "API"), and the coordinate system its points were given in;
    # the points themselves are SitingCandidate rows.
    candidates_file = models.CharField(_("premises list"), max_length=200, blank=True)
    coordinate_system = models.CharField(_("coordinate system"), max_length=10, blank=True)
    # sites: [{rank, id, lon, lat, code/name for premises, compounds: [{code, name, population,
    # meters}], population}], covered, total, greedy, bound, gap, seconds, optimal, premises
    # ({total, on_network, too_far: [{code, name, distance_m}]}) (see services.run_siting).
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("siting run")
        verbose_name_plural = _("siting runs")

    def __str__(self) -> str:
        return f"{self.category} k={self.k} r={self.radius_m:g} m"

    @property
    def is_active(self) -> bool:
        """Whether the siting is still waiting or working."""
        return self.status in ACTIVE_STATUSES

    @property
    def run_dir(self) -> Path:
        """Where the engine writes this siting's files (inside the analysis run's folder)."""
        return self.run.run_dir / f"siting-{self.pk}"

    @property
    def uses_premises(self) -> bool:
        """Whether the candidates are premises planners listed (not street junctions)."""
        return self.candidate_source == CandidateSource.PREMISES


class SitingCandidate(models.Model):
    """候选场所 — an available premise a planner listed as a candidate site for one siting.

    Stored with the siting so its result page can name the premises and a later siting can reuse
    the list. ``distance_m``/``on_network`` are filled when the siting runs: a premise farther
    than the engine's snapping limit from every walkable street takes no part and is named on
    the result page. ``rank`` is the proposed site's number when the premise was chosen.
    """

    siting = models.ForeignKey(SitingRun, on_delete=models.CASCADE, related_name="candidates")
    position = models.PositiveIntegerField(_("position in the list"))
    row = models.PositiveIntegerField(_("row in the file"))
    code = models.CharField(_("ID"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    lon = models.FloatField(_("longitude (WGS-84)"))
    lat = models.FloatField(_("latitude (WGS-84)"))
    entered_lon = models.FloatField(_("longitude as entered"))
    entered_lat = models.FloatField(_("latitude as entered"))
    distance_m = models.FloatField(_("distance to the nearest street (m)"), null=True, blank=True)
    on_network = models.BooleanField(_("near a walkable street"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("proposed site number"), null=True, blank=True)

    class Meta:
        ordering = ("siting", "position")
        constraints = (
            models.UniqueConstraint(
                fields=["siting", "position"], name="siting_candidate_position_unique"
            ),
            models.UniqueConstraint(fields=["siting", "code"], name="siting_candidate_code_unique"),
        )
        verbose_name = _("candidate premise")
        verbose_name_plural = _("candidate premises")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def engine_id(self) -> str:
        """The id the engine sees; never equal to a station code or a junction's ``node…`` id."""
        return f"premise-{self.position}"


class StationRule(models.Model):
    """区级站点标准 — the district's own living-circle rule for one kind of neighbourhood station.

    The national standards (``linli/circle/data/rules.csv``) say nothing about 幸福驿站, 智慧小屋
    or 党群服务中心; the district's policy does ("a 幸福驿站 within ten minutes' walk of every
    compound"). District staff keep these rules in the console; each analysis checks them next to
    the national ones (``services.run_analysis`` converts minutes to metres at the run's walking
    speed), so the gap list names the compounds lacking a station. A kind without a row uses
    ``DEFAULT_STATION_RULES``.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="station_rules")
    category = models.CharField(_("station kind"), max_length=40)
    enabled = models.BooleanField(_("checked in analyses"), default=True)
    minutes = models.PositiveSmallIntegerField(_("walking minutes"))
    # 0: every compound must reach one; otherwise only compounds with at least so many residents.
    min_population = models.PositiveIntegerField(_("applies to compounds of at least"), default=0)
    source = models.CharField(_("policy document"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        ordering = ("district", "category")
        constraints = (
            models.UniqueConstraint(
                fields=["district", "category"], name="station_rule_unique_per_district"
            ),
        )
        verbose_name = _("district station rule")
        verbose_name_plural = _("district station rules")

    def __str__(self) -> str:
        return f"{self.district} · {self.category} · {self.minutes} min"

    @property
    def level(self) -> str:
        """The level the gap list shows ("10min": the 10-minute circle)."""
        return f"{self.minutes}min"


#: The standard code of the district's own rules in the gap list (beside "GB50180-2018" …).
DISTRICT_STANDARD = "district"
#: Station kinds the district sets rules for, with the default walking minutes: the district's
#: stated policy is a 幸福驿站 within ten minutes of every compound; huts and party-and-masses
#: centres serve the wider fifteen-minute circle.
DEFAULT_STATION_RULES: dict[str, int] = {
    "happiness_station": 10,
    "smart_hut": 15,
    "party_service_center": 15,
}
