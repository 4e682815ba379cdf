"""The activity app's domain errors: a stable code for the API and a sentence for people."""

from __future__ import annotations

from linli.core.exceptions import Conflict, LinliError


class InvalidActivity(LinliError):
    """A field of an activity is refused; ``details["field"]`` names it for the form."""

    code = "invalid_activity"


class SignUpRefused(LinliError):
    code = "signup_refused"


class AlreadySignedUp(Conflict):
    code = "already_signed_up"


class DoorCodeRefused(LinliError):
    """A door code that is forged, expired or for a session that is not on."""

    code = "door_code_refused"


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"


class CheckOutRefused(LinliError):
    code = "checkout_refused"
