"""Sessions in the database, read together with their user in one query.

``SESSION_ENGINE = "linli.accounts.sessions"``. Why not Django's ``cached_db`` engine: with the
default per-process cache, a session deleted by one gunicorn worker (log out) stays valid in
another worker's cache until it expires, and a shared cache (Redis) is one more server for a
district to run. Why not the plain ``db`` engine: a logged-in request would then pay two
queries before the view runs — the session row and the user row. Here the session row carries
its user's id, so one query returns both; Django's own checks still run on the user it returns
(``auth.get_user`` compares the session's password hash, the backend refuses inactive users).

The user id column also lets an account's sessions be ended at once (see
:func:`end_sessions_of`), which ``linli.accounts.receivers`` does when an account is
deactivated.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import connections, router
from django.utils import timezone

from linli.accounts.models import Session, User

__all__ = ["Session", "SessionStore", "end_sessions_of", "preloaded_user"]

#: The user row read with the session of the request being authenticated (see
#: linli.accounts.middleware.AuthenticationMiddleware and linli.accounts.backends).
preloaded_user: ContextVar[Any] = ContextVar("linli_preloaded_user", default=None)


class SessionStore(DBStore):
    """Django's database session store with the user read in the same query."""

    #: The user row that came with the session (a ``User`` or ``None``), once loaded.
    user: User | None = None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        try:
            user_id: int | None = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            user_id = None
        return Session(
            session_key=self._get_or_create_session_key(),  # type: ignore[attr-defined]  # a private helper of SessionBase, not in the stubs
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
            user_id=user_id,
        )

    def _get_session_from_db(self) -> Session | None:
        self.user = None
        if self.session_key is None:
            return None
        db = router.db_for_read(Session)
        connection = connections[db]
        sql, attnames, converters = _session_query(db)
        now = Session._meta.get_field("expire_date").get_db_prep_value(timezone.now(), connection)
        with _cursor(connection) as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        if row[1] is not None:
            # Raw columns through the fields' converters, exactly as a queryset would
            # (datetimes and booleans on SQLite, JSON everywhere).
            values = list(row[1:])
            for i, convert_all in converters:
                for convert, expression in convert_all:
                    values[i] = convert(values[i], expression, connection)
            self.user = User.from_db(db, attnames, values)
        return Session(session_key=self.session_key, session_data=row[0])


def _cursor(connection: Any) -> Any:
    """A cursor for the session query: on PostgreSQL one that runs it as a prepared statement.

    Every logged-in request runs the same query; planning it each time (the join, the user's
    wide row) cost about 0.16 ms of the 0.3 ms the query took (``EXPLAIN ANALYZE``), more than
    executing it. Django turns prepared statements off for all queries, because transaction-mode
    connection poolers used to break them; this one query is prepared on its own (psycopg keeps
    the statement per connection, so a reconnect prepares it again). The cursor still goes
    through Django's wrappers: errors, query logging and ``execute_wrapper`` see it as usual.
    ``LINLI_DB_PREPARED_SESSIONS = False`` (environment ``LINLI_DB_PREPARED_SESSIONS=0``) turns
    this off behind a pooler that cannot keep prepared statements (PgBouncer older than 1.21 in
    transaction mode).
    """
    if connection.vendor != "postgresql" or not settings.LINLI_DB_PREPARED_SESSIONS:
        return connection.cursor()
    # What ``connection.cursor()`` does (BaseDatabaseWrapper._cursor), with our cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        pg = connection.connection
        if pg.prepare_threshold is None:
            # None (Django's default) refuses even an explicit prepare=True. A threshold no
            # query reaches keeps every other query unprepared, as Django wants, and allows ours.
            pg.prepare_threshold = 2**31 - 1
        return connection._prepare_cursor(_preparing_cursor_class()(pg))


@functools.cache
def _preparing_cursor_class() -> Any:
    """Django's server-side-binding psycopg cursor, asking psycopg to prepare every query."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True)  # type: ignore[misc]  # psycopg's prepare= is not in the stubs

    return PreparingCursor


_queries: dict[str, tuple[str, list[str], list[tuple[int, list[tuple[Any, Any]]]]]] = {}


def _session_query(db: str) -> tuple[str, list[str], list[tuple[int, list[tuple[Any, Any]]]]]:
    """The SQL, the user's attribute names and the column converters, built once per database."""
    cached = _queries.get(db)
    if cached is not None:
        return cached
    connection = connections[db]
    qn = connection.ops.quote_name
    fields = list(User._meta.concrete_fields)
    user_table = User._meta.db_table
    sql = (
        f"SELECT s.{qn('session_data')}, "
        + ", ".join(f"u.{qn(str(f.column))}" for f in fields)
        + f" FROM {qn(Session._meta.db_table)} s"
        f" LEFT JOIN {qn(user_table)} u ON u.{qn('id')} = s.{qn('user_id')}"
        f" WHERE s.{qn('session_key')} = %s AND s.{qn('expire_date')} > %s"
    )
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(user_table)
        found = [
            *connection.ops.get_db_converters(col),
            *f.get_db_converters(connection),
        ]
        if found:
            converters.append((i, [(c, col) for c in found]))
    built = (sql, [f.attname for f in fields], converters)
    _queries[db] = built
    return built


def end_sessions_of(user_id: int) -> int:
    """Log one account out everywhere; returns how many sessions ended."""
    deleted, _ = Session.objects.filter(user_id=user_id).delete()
    return deleted
