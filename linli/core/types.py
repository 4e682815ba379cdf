"""Types core works with without knowing the apps above it."""

from __future__ import annotations

from typing import Any, Protocol


class UserLike(Protocol):
    """What core needs of a user: ``linli.accounts.models.User`` and Django's ``AnonymousUser``.

    Core sits below accounts (docs/architecture.md), so it types users by what it reads of them.
    """

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...

    def get_username(self) -> str: ...
