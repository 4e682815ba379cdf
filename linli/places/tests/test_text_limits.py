"""A description is bounded in the model and the database, not only in the forms that happen to
check it: a bulk write, a script or a new endpoint cannot store a 300 MB text (issue #11)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from linli.core import limits
from linli.places.models import Organisation, Service, Station

pytestmark = pytest.mark.django_db

BOUNDED = [Organisation, Station, Service]


@pytest.mark.parametrize("model", BOUNDED)
def test_every_free_text_field_has_the_shared_length(model: type[models.Model]) -> None:
    for field in model._meta.get_fields():
        if isinstance(field, models.TextField):
            assert field.max_length == limits.DESCRIPTION, f"{model.__name__}.{field.name}"


def test_the_database_refuses_an_over_long_description(hierarchy: Any) -> None:
    station = hierarchy.station_xingfu
    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.filter(pk=station.pk).update(description="长" * (limits.DESCRIPTION + 1))
    Station.objects.filter(pk=station.pk).update(description="长" * limits.DESCRIPTION)
    station.refresh_from_db()
    assert len(station.description) == limits.DESCRIPTION


def test_full_clean_names_the_field(hierarchy: Any) -> None:
    station = hierarchy.station_xingfu
    station.description = "x" * (limits.DESCRIPTION + 1)
    with pytest.raises(ValidationError) as refused:
        station.full_clean()
    assert list(refused.value.message_dict) == ["description"]
