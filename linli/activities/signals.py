"""What the activities app announces to others (cobuild and dashboards may listen).

Each is sent inside the service's transaction, after the row is written:

- ``activity_changed(activity, created)`` — an activity was created, changed or cancelled.
- ``signup_changed(signup)`` — a sign-up was made, cancelled, or moved off the waiting list.
- ``checked_in(checkin)`` / ``checked_out(checkin)`` — attendance was recorded.
"""

from django.dispatch import Signal

activity_changed = Signal()
signup_changed = Signal()
checked_in = Signal()
checked_out = Signal()
