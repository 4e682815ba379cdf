"""Bearer-token authentication for the staff API: ``Authorization: Bearer linli_<prefix>_<secret>``.

A personal API token (linli.accounts.models.ApiToken) stands for its owner: ``TokenAuth`` sets
``request.user`` to the owner, so every permission check and scope in the routers applies
unchanged and a token never sees more than its owner. The checks themselves (format, hash,
expiry, revocation, owner, read-only) live in linli.accounts.services.authenticate_api_token.

CSRF: a bearer token is not sent by the browser on its own, so a cross-site page cannot make a
victim's browser use it; token requests need no CSRF token. ninja only checks CSRF inside
``SessionAuth`` (cookie-based), never here.

Order in ``auth=[...]`` decides what a request carrying BOTH a session cookie and a token does:
ninja tries the classes in order and the first that answers wins.

The routers use ``[TokenAuth(), SessionAuth()]``: TokenAuth answers None when there is no
``Authorization`` header, so browser requests are unchanged; with a header, the token alone
decides — the session is ignored — and writes with a write token work without CSRF. (The other
order cannot work for scripts: SessionAuth runs Django's CSRF check on every unsafe request,
cookie or not, and refuses a token's POST/PUT/DELETE with 403 ``csrf_failed`` before TokenAuth
is asked.)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from linli.accounts import services


class TokenAuth(HttpBearer):
    """django-ninja auth class for personal API tokens; see the module docstring for ordering.

    Raises InvalidApiToken (401) or ReadOnlyApiToken (403); linli.api turns both into the JSON
    ``{"code", "message"}`` shape. A bearer value that is not a Linli token is refused the same
    way rather than passed on, so a typo is a clear 401 instead of "please log in".
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        owner = services.authenticate_api_token(
            token, method=request.method or "GET", request=request
        )
        request.user = owner
        # Marks the request for code that must tell token calls apart (e.g. audit entries).
        request.api_token_auth = True  # type: ignore[attr-defined]  # a flag the CSRF check reads
        return owner
