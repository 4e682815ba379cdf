"""What the needs app announces to others.

``need_changed(sender=Need, need=…, step=…)`` is sent after every committed step (a new need
included: its step is ``submit``). The co-construction day may listen to it in its receivers.
"""

from django.dispatch import Signal

need_changed = Signal()
