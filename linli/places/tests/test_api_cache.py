"""The staff lists are cached by data version: every change must show at once."""

from typing import Any

from linli.accounts.models import User
from linli.places.models import Community, Station
from tests.personas import Hierarchy


def _names(client: Any) -> set[tuple[str, str]]:
    response = client.get("/api/places/stations?page_size=50")
    assert response.status_code == 200
    return {(row["name"], row["community_name"]) for row in response.json()["items"]}


def test_a_renamed_station_shows_in_the_next_list(
    as_user: Any, district_admin: User, hierarchy: Hierarchy
) -> None:
    client = as_user(district_admin)
    assert ("幸福苑幸福驿站", "幸福里社区") in _names(client)
    station = Station.objects.get(pk=hierarchy.station_xingfu.pk)
    station.name = "幸福苑新驿站"
    station.save()
    assert ("幸福苑新驿站", "幸福里社区") in _names(client)


def test_a_renamed_community_and_a_deleted_station_show_in_the_next_list(
    as_user: Any, district_admin: User, hierarchy: Hierarchy
) -> None:
    client = as_user(district_admin)
    before = _names(client)
    community = Community.objects.get(pk=hierarchy.xingfu.pk)
    community.name = "幸福社区"
    community.save()
    assert ("幸福苑幸福驿站", "幸福社区") in _names(client)
    Station.objects.filter(pk=hierarchy.station_xiyuan.pk).delete()
    after = _names(client)
    assert len(after) == len(before) - 1


def test_two_scopes_never_share_a_cached_page(
    as_user: Any, community_staff: User, other_community_staff: User, client: Any
) -> None:
    mine = _names(as_user(community_staff))
    client.logout()
    theirs = _names(as_user(other_community_staff))
    assert mine == {("幸福苑幸福驿站", "幸福里社区")}
    assert theirs == {("西园幸福驿站", "西园社区")}
