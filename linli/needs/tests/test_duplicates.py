"""Similar open needs are offered before submitting (+1); staff merge duplicates and the
merged need's resident keeps seeing the progress."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from linli.accounts.models import Role
from linli.core.exceptions import LinliError
from linli.needs import permissions, services
from linli.needs.models import Follower, Need, Status
from linli.needs.tests.conftest import T0, walk
from tests.personas import _user

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour(hierarchy: Any) -> Any:
    user = _user("13900003333", Role.RESIDENT, district=hierarchy.district)
    user.phone = "13900003333"
    user.save(update_fields=["phone"])
    return user


def _form(hierarchy: Any) -> dict[str, Any]:
    return {
        "category": "environment",
        "description": "垃圾桶又满了",
        "compound": hierarchy.compound_xingfu.pk,
        "scale": "shared",
        "contact_preference": "phone",
    }


def test_a_similar_open_need_is_offered_and_plus_one_follows_it(
    as_user: Any, need: Need, community_staff: Any, neighbour: Any, hierarchy: Any
) -> None:
    walk(need, community_staff, upto="accept")
    client = as_user(neighbour)
    offered = client.post("/needs/new/", _form(hierarchy))
    html = offered.content.decode()
    assert offered.status_code == 200
    assert "清理垃圾桶" in html
    assert "垃圾桶又满了" in html
    assert Need.objects.count() == 1
    assert client.post(f"/needs/{need.pk}/follow/").status_code == 302
    need.refresh_from_db()
    assert need.followers_count == 1
    assert list(permissions.my_needs(neighbour)) == [need]


def test_mine_is_different_sends_it_after_the_offer(
    as_user: Any, need: Need, community_staff: Any, neighbour: Any, hierarchy: Any
) -> None:
    walk(need, community_staff, upto="accept")
    response = as_user(neighbour).post("/needs/new/", {**_form(hierarchy), "confirm_new": "1"})
    assert response.status_code == 302
    assert Need.objects.count() == 2


def test_staff_merge_a_duplicate_and_its_resident_follows_the_other(
    need: Need, community_staff: Any, neighbour: Any, hierarchy: Any
) -> None:
    walk(need, community_staff, upto="accept")
    duplicate = services.raise_need(
        actor=neighbour,
        district=hierarchy.district,
        category="environment",
        description="垃圾桶满了",
        compound=hierarchy.compound_xingfu,
        now=T0,
    )
    merged = services.merge_needs(actor=community_staff, need_id=duplicate.pk, into_id=need.pk)
    assert merged.status == Status.MERGED
    assert merged.merged_into_id == need.pk
    assert Follower.objects.filter(need=need, user=neighbour).exists()
    walk(need, community_staff, upto="resolve")
    assert need.pk in [n.pk for n in permissions.my_needs(neighbour)]
    assert neighbour != need.resident  # following, not owning: the rating stays the resident's
    with pytest.raises(PermissionDenied):
        services.rate_need(actor=neighbour, need_id=need.pk, level="satisfied")


def test_merging_into_itself_or_across_communities_is_refused(
    need: Need, district_admin: Any, neighbour: Any, hierarchy: Any
) -> None:
    from linli.places.models import Compound

    with pytest.raises(LinliError):
        services.merge_needs(actor=district_admin, need_id=need.pk, into_id=need.pk)
    far = Compound.objects.create(
        district=hierarchy.district, community=hierarchy.xiyuan, code="C9", name="西园"
    )
    other = services.raise_need(
        actor=neighbour,
        district=hierarchy.district,
        category="environment",
        description="x",
        compound=far,
        now=T0,
    )
    with pytest.raises(LinliError) as err:
        services.merge_needs(actor=district_admin, need_id=other.pk, into_id=need.pk)
    assert err.value.code == "merge_other_community"
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED
