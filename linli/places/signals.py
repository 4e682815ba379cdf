"""What places announces to the apps above it; they listen in their own ``receivers.py``.

Places never imports the apps that react (docs/architecture.md): it sends, they connect from their
``AppConfig.ready``.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent once the transaction that created, changed or removed a station has committed (never for a
# write that changed nothing, nor for one rolled back). Arguments: ``sender`` (the Station class),
# ``district_id``, ``pk`` (the station's id) and ``action`` ("create", "update" or "delete" — a
# station taken out of service is a "delete" too). linli.planning.receivers re-analyses the
# district.
stations_changed = Signal()
