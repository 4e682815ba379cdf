"""Sessions: one query for the session and its user, and every way a session stops working."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.accounts.middleware import AuthenticationMiddleware
from linli.accounts.models import Session, User
from tests.personas import login


def _user_of(client: Client) -> Any:
    """Run the session and authentication middleware on a request carrying the client's cookie."""
    request = RequestFactory().get("/")
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is not None:
        request.COOKIES[settings.SESSION_COOKIE_NAME] = cookie.value

    def view(req: HttpRequest) -> HttpResponse:
        return HttpResponse()

    SessionMiddleware(view).process_request(request)
    AuthenticationMiddleware(view).process_request(request)
    return request.user


def test_a_session_row_names_its_user(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    row = Session.objects.get()
    assert row.user_id == community_staff.pk
    assert row.get_decoded()[SESSION_KEY] == str(community_staff.pk)


def test_the_session_and_its_user_come_in_one_query(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    with CaptureQueriesContext(connection) as asked:
        user = _user_of(client)
        assert user.is_authenticated
        assert user.pk == community_staff.pk
        assert user.scope.community_id == community_staff.scope.community_id
    assert len(asked) == 1


def test_the_user_read_with_the_session_is_the_same_as_a_query_would_give(
    client: Client, community_staff: User
) -> None:
    login(client, community_staff)
    user = _user_of(client)
    fresh = User.objects.get(pk=community_staff.pk)
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(fresh, field.attname), field.name


def test_no_cookie_means_anonymous_without_a_query(db: Any) -> None:
    with CaptureQueriesContext(connection) as asked:
        assert not _user_of(Client()).is_authenticated
    assert len(asked) == 0


def test_a_logged_out_session_is_refused(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME]
    client.logout()
    assert not _user_of(stolen).is_authenticated


def test_an_expired_session_is_refused(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert not _user_of(client).is_authenticated


def test_a_changed_password_ends_the_old_sessions(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    community_staff.set_password("a whole new password 2026")
    community_staff.save()
    assert not _user_of(client).is_authenticated


def test_deactivating_an_account_logs_it_out_everywhere(
    client: Client, community_staff: User
) -> None:
    login(client, community_staff)
    login(Client(), community_staff)
    assert Session.objects.filter(user_id=community_staff.pk).count() == 2
    community_staff.is_active = False
    community_staff.save()
    assert not Session.objects.filter(user_id=community_staff.pk).exists()
    assert not _user_of(client).is_authenticated


def test_a_deleted_account_is_anonymous(client: Client, community_staff: User) -> None:
    login(client, community_staff)
    User.objects.filter(pk=community_staff.pk).delete()
    assert not _user_of(client).is_authenticated


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_on_postgresql_the_session_query_is_prepared_and_nothing_else(
    client: Client, community_staff: User
) -> None:
    login(client, community_staff)
    for _ in range(3):
        assert _user_of(client).pk == community_staff.pk
    list(User.objects.filter(pk=community_staff.pk))  # an ordinary ORM query stays unprepared
    prepared = _prepared_statements()
    assert len(prepared) == 1
    assert 'FROM "accounts_session" s' in prepared[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_prepared_sessions_can_be_turned_off_for_poolers(
    client: Client, community_staff: User, settings: Any
) -> None:
    settings.LINLI_DB_PREPARED_SESSIONS = False
    login(client, community_staff)
    for _ in range(3):
        assert _user_of(client).pk == community_staff.pk
    assert _prepared_statements() == []
