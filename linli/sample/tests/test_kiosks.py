"""The sample smart huts: devices, faults, readings above the thresholds, a follow-up list."""

from __future__ import annotations

from typing import Any

from linli.kiosks import services
from linli.kiosks.models import Device, Fault, FollowUp, Reading
from linli.sample.kiosks import delete, load_kiosk_sample


def test_the_sample_fills_the_huts_and_the_follow_up_list(smart_hut: Any) -> None:
    result = load_kiosk_sample(smart_hut.district, days=60)
    assert result.devices == 11
    assert Device.objects.filter(station=smart_hut, status="offline").count() == 1
    assert Fault.objects.filter(status=Fault.Status.OPEN).count() == 2
    assert result.readings == Reading.objects.count() > 12 * 3 * 9
    assert all(isinstance(services.reading_value(r), float) for r in Reading.objects.all()[:20])
    open_ = FollowUp.objects.filter(status=FollowUp.Status.OPEN)
    assert open_.exists()
    assert FollowUp.objects.filter(level="urgent").exists()
    assert load_kiosk_sample(smart_hut.district, days=60).devices == 0  # idempotent
    delete(smart_hut.district)
    assert not Device.objects.exists()
    assert not Reading.objects.exists()
