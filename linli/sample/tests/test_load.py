"""The sample district that ``make demo`` shows."""

import re
from typing import Any

import pytest

from linli.accounts.models import Role, User
from linli.places.models import District, Station
from linli.sample.accounts import DEMO_PASSWORD
from linli.sample.load import load_sample


@pytest.fixture
def sample(settings: Any, tmp_path: Any) -> District:
    settings.LINLI_NETWORK_DIR = tmp_path / "networks"
    return load_sample().district


@pytest.mark.django_db
def test_the_sample_district_looks_like_the_reference_programme(sample: District) -> None:
    assert sample.is_sample
    assert sample.subdistricts.count() >= 3
    assert sample.communities.count() >= 10
    assert 100 <= sample.compounds.count() <= 140
    assert all(c.gates.exists() for c in sample.compounds.all())
    assert sample.network_file.endswith(".osm.pbf")

    stations = Station.objects.filter(district=sample)
    happiness = stations.filter(category__code="happiness_station")
    assert happiness.count() == 23
    assert stations.filter(category__code="smart_hut").count() == 2
    assert stations.filter(category__code="kindergarten").exists()
    assert all(s.opening_hours.exists() for s in happiness)
    assert happiness.filter(services__category__code="haircut").exists()
    # Not every station mediates, so searching "调解" narrows the list.
    assert happiness.filter(functions__code="mediation").exists()
    assert happiness.exclude(functions__code="mediation").exists()

    community = User.objects.get(username="community")
    assert community.role == Role.COMMUNITY_STAFF
    assert community.community is not None
    assert community.check_password(DEMO_PASSWORD)
    keeper = User.objects.get(username="keeper")
    assert keeper.station is not None
    assert keeper.station.district == sample


@pytest.mark.django_db
def test_every_place_has_its_own_street_address(sample: District) -> None:
    stations = list(Station.objects.filter(district=sample).values_list("address", flat=True))
    compounds = list(sample.compounds.values_list("address", flat=True))
    addresses = stations + compounds

    assert len(stations) > 1000
    assert len(set(addresses)) == len(addresses)  # no two places share an address line
    # "长兴路37号": a street of the drawn network and a house number.
    street_names = {a.rstrip("0123456789号") for a in addresses}
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+[路街道]\d+号", a) for a in addresses), addresses[:5]
    assert len(street_names) > 20
    assert "无名路" not in street_names


@pytest.mark.django_db
def test_loading_again_keeps_the_district_and_reset_recreates_it(sample: District) -> None:
    again = load_sample()
    assert not again.created
    assert again.district.pk == sample.pk
    reset = load_sample(reset=True)
    assert reset.created
    assert District.objects.filter(code=sample.code).count() == 1
    assert User.objects.filter(username="community").count() == 1
