"""Domain errors: a stable machine-readable code plus a translated message for people."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class LinliError(Exception):
    """Base of every domain error; views and the API turn it into a message or JSON."""

    code = "error"
    status = 400

    def __init__(self, message: str | Promise, *, code: str | None = None, **details: Any) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class NotFound(LinliError):
    code = "not_found"
    status = 404


class Forbidden(LinliError):
    code = "forbidden"
    status = 403


class Conflict(LinliError):
    code = "conflict"
    status = 409
