"""Personal API tokens: a token acts as its owner and never more, and every way it stops working.

The routers use ``auth=[TokenAuth(), SessionAuth()]`` (see linli.accounts.api_auth for what the
order means for requests carrying both a session and a token).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from linli.accounts import services
from linli.accounts.models import ApiToken, User
from linli.core.exceptions import NotFound
from linli.core.models import AuditEntry
from linli.places.models import Station
from tests.personas import Hierarchy, login

# Some tests pick their persona by name at run time; the database must be set up first.
pytestmark = pytest.mark.django_db

STATIONS = "/api/places/stations"


def _bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def _token(user: User, **options: Any) -> str:
    return services.create_api_token(owner=user, name="nightly export", **options).plain


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["code"] for s in response.json()["items"]]


# --- what a token sees -----------------------------------------------------------------------


def test_a_token_lists_the_stations_its_owner_sees_and_no_more(
    client: Client, community_staff: User, hierarchy: Hierarchy
) -> None:
    plain = _token(community_staff)
    through_token = _codes(Client().get(STATIONS, headers=_bearer(plain)))
    through_session = _codes(login(client, community_staff).get(STATIONS))
    assert through_token == through_session == ["S001"]


def test_another_communitys_station_is_404_through_the_token(
    community_staff: User, hierarchy: Hierarchy
) -> None:
    plain = _token(community_staff)
    own = Client().get(f"{STATIONS}/{hierarchy.station_xingfu.pk}", headers=_bearer(plain))
    other = Client().get(f"{STATIONS}/{hierarchy.station_xiyuan.pk}", headers=_bearer(plain))
    assert own.status_code == 200
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"


def test_a_district_admins_token_sees_the_district(district_admin: User) -> None:
    plain = _token(district_admin)
    assert _codes(Client().get(STATIONS, headers=_bearer(plain))) == ["S001", "S002", "S003"]


def test_a_token_works_with_csrf_checks_enforced_for_reading(community_staff: User) -> None:
    plain = _token(community_staff)
    response = Client(enforce_csrf_checks=True).get(STATIONS, headers=_bearer(plain))
    assert _codes(response) == ["S001"]


def test_a_token_opens_the_planning_api_too(community_staff: User) -> None:
    plain = _token(community_staff)
    assert Client().get("/api/planning/runs", headers=_bearer(plain)).status_code == 200
    assert Client().get("/api/planning/runs").status_code == 401


# --- refusals: 401 ---------------------------------------------------------------------------


def _assert_401(response: Any) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert set(body) >= {"code", "message"}
    assert body["code"] == "invalid_token"


def test_it_refuses_an_expired_token(community_staff: User) -> None:
    plain = _token(community_staff, days=30)
    with freeze_time(timezone.now() + dt.timedelta(days=31)):
        response = Client().get(STATIONS, headers=_bearer(plain))
    _assert_401(response)
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REFUSED).get()
    assert entry.changes["reason"] == "token_expired"


def test_it_refuses_a_revoked_token_and_audits_the_attempt(community_staff: User) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    services.revoke_api_token(owner=community_staff, pk=new.token.pk)
    _assert_401(Client().get(STATIONS, headers=_bearer(new.plain)))
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REFUSED).get()
    assert entry.changes == {
        "reason": "token_revoked",
        "method": "api_token",
        "prefix": new.token.prefix,
    }
    assert entry.object_type == "accounts.apitoken"


def test_it_refuses_the_token_of_an_inactive_owner(community_staff: User) -> None:
    plain = _token(community_staff)
    community_staff.is_active = False
    community_staff.save(update_fields=["is_active"])
    _assert_401(Client().get(STATIONS, headers=_bearer(plain)))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer linli_",
        "Bearer linli_zzzzzzzz_short",
        "Bearer not-a-linli-token",
        "Bearer " + "linli_0123abcd_" + "x" * 43,  # well-formed, unknown prefix
    ],
)
def test_it_refuses_malformed_or_unknown_tokens(header: str, community_staff: User) -> None:
    _token(community_staff)
    _assert_401(Client().get(STATIONS, headers={"Authorization": header}))


def test_it_refuses_a_wrong_secret_with_a_known_prefix(community_staff: User) -> None:
    plain = _token(community_staff)
    # "linli_" + 8 hex + "_" is 15 characters; change the secret's first one.
    wrong = plain[:15] + ("A" if plain[15] != "A" else "B") + plain[16:]
    assert wrong != plain
    _assert_401(Client().get(STATIONS, headers=_bearer(wrong)))


def test_no_token_and_no_session_is_still_401(db: Any) -> None:
    response = Client().get(STATIONS)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


# --- read-only and write tokens --------------------------------------------------------------


def test_a_read_only_token_cannot_change_anything(
    community_staff: User, hierarchy: Hierarchy
) -> None:
    plain = _token(community_staff)
    station = hierarchy.station_xingfu
    response = Client().delete(f"{STATIONS}/{station.pk}", headers=_bearer(plain))
    assert response.status_code == 403
    assert response.json()["code"] == "read_only_token"
    station.refresh_from_db()
    assert station.is_active
    assert not AuditEntry.objects.filter(object_type="places.station").exists()


def test_a_write_token_of_an_editor_changes_what_its_owner_may_change(
    community_staff: User, hierarchy: Hierarchy
) -> None:
    # The test client skips CSRF like a TokenAuth-first router would; see api_auth's docstring.
    plain = _token(community_staff, read_only=False)
    station = hierarchy.station_xingfu
    response = Client().delete(f"{STATIONS}/{station.pk}", headers=_bearer(plain))
    assert response.status_code == 204, response.content
    station.refresh_from_db()
    assert not station.is_active
    entry = AuditEntry.objects.filter(object_type="places.station").get()
    assert entry.actor == community_staff
    other = Client().delete(f"{STATIONS}/{hierarchy.station_xiyuan.pk}", headers=_bearer(plain))
    assert other.status_code == 404
    assert Station.objects.get(pk=hierarchy.station_xiyuan.pk).is_active


def test_a_station_keeper_gets_read_only_tokens_only(station_keeper: User) -> None:
    with pytest.raises(services.ApiTokenError) as refused:
        _token(station_keeper, read_only=False)
    assert refused.value.code == "write_not_allowed"
    assert not ApiToken.objects.exists()
    assert _token(station_keeper).startswith("linli_")


# --- creating and storing --------------------------------------------------------------------


def test_the_secret_is_not_stored(community_staff: User) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    secret = new.plain.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    stored = repr(rows)
    assert secret not in stored
    assert new.plain not in stored
    assert new.token.prefix in stored
    audit = repr(list(AuditEntry.objects.values()))
    assert secret not in audit


def test_tokens_look_like_linli_tokens(community_staff: User) -> None:
    plain = _token(community_staff)
    assert services._TOKEN_RE.match(plain)
    token = ApiToken.objects.get()
    assert plain.startswith(f"linli_{token.prefix}_")
    assert token.read_only
    assert (token.expires_at - token.created_at).days == 90


@pytest.mark.parametrize("persona", ["resident", "unit_liaison"])
def test_only_staff_can_create_tokens(persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(services.ApiTokenError):
        _token(user)
    assert not ApiToken.objects.exists()


def test_expiry_is_at_most_a_year(community_staff: User) -> None:
    with pytest.raises(services.ApiTokenError):
        _token(community_staff, days=366)
    with pytest.raises(services.ApiTokenError):
        _token(community_staff, days=0)


def test_at_most_ten_active_tokens(community_staff: User) -> None:
    tokens = [services.create_api_token(owner=community_staff, name=f"t{i}") for i in range(10)]
    with pytest.raises(services.ApiTokenError) as refused:
        _token(community_staff)
    assert refused.value.code == "too_many_tokens"
    services.revoke_api_token(owner=community_staff, pk=tokens[0].token.pk)
    assert _token(community_staff)


def test_creating_and_revoking_are_audited(community_staff: User) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    services.revoke_api_token(owner=community_staff, pk=new.token.pk)
    actions = list(
        AuditEntry.objects.filter(object_type="accounts.apitoken")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [AuditEntry.Action.TOKEN_CREATED, AuditEntry.Action.TOKEN_REVOKED]


def test_nobody_revokes_another_users_token(
    community_staff: User, other_community_staff: User
) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    with pytest.raises(NotFound):
        services.revoke_api_token(owner=other_community_staff, pk=new.token.pk)
    new.token.refresh_from_db()
    assert new.token.revoked_at is None


# --- use bookkeeping -------------------------------------------------------------------------


def test_last_used_at_moves_at_most_once_a_minute(community_staff: User) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    start = timezone.now()
    with freeze_time(start) as clock:
        assert Client().get(STATIONS, headers=_bearer(new.plain)).status_code == 200
        new.token.refresh_from_db()
        assert new.token.last_used_at == start
        clock.tick(dt.timedelta(seconds=30))
        assert Client().get(STATIONS, headers=_bearer(new.plain)).status_code == 200
        new.token.refresh_from_db()
        assert new.token.last_used_at == start
        clock.tick(dt.timedelta(seconds=31))
        assert Client().get(STATIONS, headers=_bearer(new.plain)).status_code == 200
        new.token.refresh_from_db()
        assert new.token.last_used_at == start + dt.timedelta(seconds=61)


def test_the_first_use_is_audited_once(community_staff: User) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    for _ in range(3):
        assert Client().get(STATIONS, headers=_bearer(new.plain)).status_code == 200
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_USED).get()
    assert entry.actor == community_staff
    assert entry.changes["first_use"] is True


# --- session and token together --------------------------------------------------------------


def test_a_token_header_decides_even_beside_a_logged_in_session(
    client: Client, community_staff: User, district_admin: User
) -> None:
    """TokenAuth is first: with an Authorization header the token alone decides, so a script
    run from a logged-in browser profile acts as the token's owner, never as both."""
    plain = _token(district_admin)
    login(client, community_staff)
    assert len(_codes(client.get(STATIONS, headers=_bearer(plain)))) > 1  # the district's
    assert _codes(client.get(STATIONS)) == ["S001"]  # without the header: the session
    assert client.get(STATIONS, headers=_bearer("linli_00000000_" + "x" * 43)).status_code == 401


# --- pages -----------------------------------------------------------------------------------


def test_the_plain_token_is_shown_once(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    response = client.post(
        "/accounts/tokens/new/", {"name": "nightly export", "days": "30", "read_only": "on"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    page = response.content.decode()
    shown = re.findall(r'id="token-value"[^>]* value="([^"]+)"', page)
    assert len(shown) == 1
    plain = shown[0]
    assert services._TOKEN_RE.match(plain)
    assert hmac.compare_digest(services.hash_api_token(plain), token.token_hash)
    assert "no-store" in response["Cache-Control"]
    assert (token.expires_at - token.created_at).days == 30
    assert token.read_only
    listing = client.get("/accounts/tokens/").content.decode()
    assert plain not in listing
    assert f"linli_{token.prefix}_" in listing
    assert Client().get(STATIONS, headers=_bearer(plain)).status_code == 200


def test_a_non_editor_cannot_ask_for_a_write_token_on_the_page(
    client: Client, station_keeper: User
) -> None:
    login(client, station_keeper)
    form = client.get("/accounts/tokens/new/").content.decode()
    assert 'name="read_only"' not in form
    client.post("/accounts/tokens/new/", {"name": "export", "days": "90"})
    assert ApiToken.objects.get().read_only


def test_an_editor_may_create_a_write_token_on_the_page(
    client: Client, community_staff: User
) -> None:
    login(client, community_staff)
    client.post("/accounts/tokens/new/", {"name": "sync", "days": "365"})
    token = ApiToken.objects.get()
    assert not token.read_only
    assert (token.expires_at - token.created_at).days == 365


def test_the_page_refuses_an_expiry_not_offered(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    response = client.post("/accounts/tokens/new/", {"name": "sync", "days": "3650"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("persona", ["resident", "unit_liaison"])
def test_the_token_pages_send_non_staff_to_the_login(
    persona: str, client: Client, request: pytest.FixtureRequest
) -> None:
    login(client, request.getfixturevalue(persona))
    for url in ("/accounts/tokens/", "/accounts/tokens/new/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    response = client.post("/accounts/tokens/new/", {"name": "x", "days": "30"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_then_revokes(client: Client, community_staff: User) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    login(client, community_staff)
    url = f"/accounts/tokens/{new.token.pk}/revoke/"
    assert client.get(url).status_code == 200
    new.token.refresh_from_db()
    assert new.token.revoked_at is None
    response = client.post(url)
    assert response.status_code == 302
    new.token.refresh_from_db()
    assert new.token.revoked_at is not None


def test_nobody_revokes_another_users_token_on_the_page(
    client: Client, community_staff: User, other_community_staff: User
) -> None:
    new = services.create_api_token(owner=community_staff, name="export")
    login(client, other_community_staff)
    url = f"/accounts/tokens/{new.token.pk}/revoke/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    new.token.refresh_from_db()
    assert new.token.revoked_at is None
    assert "export" not in client.get("/accounts/tokens/").content.decode()


def test_a_write_token_writes_as_a_real_script_would(
    community_staff: User, hierarchy: Hierarchy
) -> None:
    plain = _token(community_staff, read_only=False)
    station = hierarchy.station_xingfu
    script = Client(enforce_csrf_checks=True)
    response = script.delete(f"{STATIONS}/{station.pk}", headers=_bearer(plain))
    assert response.status_code == 204, response.content


def test_a_superuser_revokes_a_leaked_token_in_the_admin(
    client: Client, community_staff: User
) -> None:
    plain = _token(community_staff)
    boss = User.objects.create_superuser("root", password="x" * 12)
    client.force_login(boss)
    token = ApiToken.objects.get()
    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200
    assert token.token_hash not in listing.content.decode()
    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(STATIONS, headers=_bearer(plain)).status_code == 401
    assert AuditEntry.objects.filter(actor=boss, object_type="accounts.apitoken").exists()
