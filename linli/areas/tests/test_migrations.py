"""A database made by the migrations from before linli.areas existed migrates forward intact.

The four area models moved from places to areas with ``SeparateDatabaseAndState``: their tables,
rows and every foreign key pointing at them must come through unchanged. The test builds such a
database with the historical models (the code of the day is not used), migrates forward, and reads
it back with today's models.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from linli.accounts.models import User
from linli.areas.models import Community, District, Grid, Subdistrict
from linli.core.models import AuditEntry
from linli.places.models import Compound, Station
from linli.planning.models import AnalysisRun

# The last migrations before the move (main at the time areas was created).
BEFORE = [
    ("areas", None),
    ("places", "0003_station_updated_index"),
    ("accounts", "0006_family_doctor_role"),
    ("core", "0003_more_audit_actions"),
    ("planning", "0002_siting_premises"),
    ("cobuild", "0001_initial"),
    ("kiosks", "0002_default_catalogue"),
    ("needs", "0001_initial"),
]


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    applied: list[tuple[str, str]] = []
    for app, name in targets:
        if name is not None:
            applied.append((app, name))
    return MigrationExecutor(connection).loader.project_state(applied).apps


def _leaves() -> list[tuple[str, str | None]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


# serialized_rollback: the reference data of places' migrations is back for the next test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_from_before_areas_keeps_its_rows_and_links() -> None:
    old = _migrate(BEFORE)
    with pytest.raises(LookupError):
        old.get_model("areas", "District")
    district = old.get_model("places", "District").objects.create(code="T1", name="旧区")
    subdistrict = old.get_model("places", "Subdistrict").objects.create(
        district=district, code="SD1", name="东关街道"
    )
    community = old.get_model("places", "Community").objects.create(
        district=district, subdistrict=subdistrict, code="C1", name="幸福苑社区"
    )
    grid = old.get_model("places", "Grid").objects.create(
        district=district, community=community, code="G1", name="一网格"
    )
    compound = old.get_model("places", "Compound").objects.create(
        district=district, community=community, grid=grid, code="X1", name="幸福苑小区"
    )
    category = old.get_model("places", "FacilityCategory").objects.get(code="happiness_station")
    station = old.get_model("places", "Station").objects.create(
        district=district,
        subdistrict=subdistrict,
        community=community,
        compound=compound,
        category=category,
        code="S1",
        name="幸福苑幸福驿站",
        lon=113.07,
        lat=36.18,
    )
    user = old.get_model("accounts", "User").objects.create(
        username="staff1",
        role="community_staff",
        district=district,
        subdistrict=subdistrict,
        community=community,
        station=station,
    )
    entry = old.get_model("core", "AuditEntry").objects.create(
        district=district, action="create", object_type="places.station", object_repr="S1"
    )
    run = old.get_model("planning", "AnalysisRun").objects.create(district=district)
    content_type = old.get_model("contenttypes", "ContentType")
    content_type.objects.get_or_create(app_label="places", model="district")

    _migrate(_leaves())

    assert District.objects.get(pk=district.pk).name == "旧区"
    assert Subdistrict.objects.get(pk=subdistrict.pk).district_id == district.pk
    moved_community = Community.objects.get(pk=community.pk)
    assert (moved_community.district_id, moved_community.subdistrict_id) == (
        district.pk,
        subdistrict.pk,
    )
    assert Grid.objects.get(pk=grid.pk).community == moved_community
    moved_compound = Compound.objects.get(pk=compound.pk)
    assert (moved_compound.community, moved_compound.grid_id) == (moved_community, grid.pk)
    moved_station = Station.objects.select_related("district", "subdistrict", "community").get(
        pk=station.pk
    )
    assert moved_station.district.code == "T1"
    assert moved_station.subdistrict.name == "东关街道"
    assert moved_station.community == moved_community
    moved_user = User.objects.get(pk=user.pk)
    assert (moved_user.district_id, moved_user.subdistrict_id, moved_user.community_id) == (
        district.pk,
        subdistrict.pk,
        community.pk,
    )
    assert moved_user.station_id == station.pk
    assert AuditEntry.objects.get(pk=entry.pk).district == District.objects.get(pk=district.pk)
    assert AnalysisRun.objects.get(pk=run.pk).district_id == district.pk
    assert list(District.objects.get(pk=district.pk).stations.all()) == [moved_station]
    assert list(moved_community.users.all()) == [moved_user]
    # The content type moved with the model (permissions keep pointing at it).
    assert content_type.objects.filter(app_label="places", model="district").count() == 0
    from django.contrib.contenttypes.models import ContentType

    assert ContentType.objects.get_for_model(District).app_label == "areas"
