"""``linli kiosk simulate``: traffic through the signed API, retries reported as duplicates."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from linli.kiosks.models import Device, HealthConsent, Reading, StockEvent, StockItem
from linli.kiosks.simulate import simulate


def test_the_simulation_drives_the_device_api_without_errors(smart_hut: Any, db: Any) -> None:
    stats = simulate(huts=1, minutes=120, seed=3)
    assert stats.errors == []
    assert stats.heartbeats == 4 * 120
    assert HealthConsent.objects.count() == 12
    assert Reading.objects.count() == stats.accepted > 0
    assert (
        stats.accepted + stats.duplicates + stats.refused == stats.readings_sent + 5 * stats.retries
    )
    assert Device.objects.filter(station=smart_hut).count() == 4
    # Lockers, vending machine and medicine cabinet report stock; none of it is refused.
    assert StockEvent.objects.count() == stats.stock_events > 3 * 2
    assert stats.stock_refused == 0
    assert StockItem.objects.filter(device__station=smart_hut).count() == 6


def test_the_command_prints_a_summary(smart_hut: Any, capsys: Any) -> None:
    call_command("kiosk", "simulate", "--huts", "1", "--minutes", "5")
    assert "0 errors." in capsys.readouterr().out
