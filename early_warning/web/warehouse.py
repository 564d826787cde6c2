"""Reading the teacher views as the signed-in user.

* :class:`DuckDBReader` reads the published copy of the DuckDB warehouse (a
  ``dbt build`` holds the live file's lock for its whole run), attached read-only
  under the catalog name its views refer to, and reopens it when
  ``early-warning publish`` replaced it. Each query runs on its own cursor with
  ``SET VARIABLE ew_moodle_username``: the variable the teacher views filter on
  (macro current_moodle_username), so the access rule is the views' one.
* :class:`PostgresReader` queries as the user's database role: with a connection
  opened with the user's own password (kept open for the session, the password is
  not kept), or, behind a trusted single-sign-on proxy, on the app's connection
  after ``SET ROLE``. Grants and the ``*_teacher`` views decide what comes back.
  A query that meets one of dbt's table swaps (a relation dropped or renamed
  mid-query) is retried.

Queries are written with ``%s`` placeholders (psycopg2's); the DuckDB reader
turns them into ``?``. Rows come back as dicts.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from early_warning.warehouse import PgSettings, WarehouseError, one_line
from early_warning.web.config import catalog_name


class Unavailable(RuntimeError):
    """The warehouse cannot be read now; the message says why and what to do (no secrets)."""


class ViewsBeingRebuilt(Unavailable):
    """A teacher view is missing: dbt is rebuilding it (or it was never built)."""


class SignInFailed(RuntimeError):
    """Wrong role or password (the message never says which)."""


def _rows(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --------------------------------------------------------------------------- DuckDB


class DuckDBReader:
    """The published DuckDB copy, read as a Moodle user (connection variable)."""

    engine = "duckdb"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.catalog = catalog_name(self.path)
        self._lock = threading.Lock()
        self._con = None
        self._stamp: tuple | None = None
        self.published_at: float | None = None

    def _file_stamp(self) -> tuple:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise Unavailable(
                f"no published warehouse at {self.path}: run `make demo` (it publishes), or "
                "`early-warning publish` after a `dbt build`"
            ) from None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _connection(self):
        import duckdb

        stamp = self._file_stamp()
        with self._lock:
            if self._con is None or stamp != self._stamp:
                con = duckdb.connect(":memory:")
                try:
                    con.execute(
                        f"attach {_quote_literal(str(self.path))} as {self.catalog} (read_only)"
                    )
                except duckdb.Error as error:
                    con.close()
                    raise Unavailable(
                        f"cannot open the published warehouse {self.path}: {one_line(error)}"
                    ) from None
                old, self._con, self._stamp = self._con, con, stamp
                self.published_at = stamp[1] / 1e9
                if old is not None:
                    old.close()
            return self._con

    def query(self, session, sql: str, params: tuple | list = ()) -> list[dict]:
        import duckdb

        cursor = self._connection().cursor()
        try:
            cursor.execute(f"use {self.catalog}")
            username = session.username if session is not None else None
            cursor.execute(
                "set variable ew_moodle_username = "
                + (_quote_literal(username) if username else "null")
            )
            try:
                cursor.execute(sql.replace("%s", "?"), list(params))
            except duckdb.CatalogException as error:
                raise Unavailable(
                    "the published warehouse lacks a table or view the app reads "
                    f"({one_line(error)}); rebuild it (`make demo`) and publish again"
                ) from None
            return _rows(cursor)
        finally:
            cursor.close()

    def demo_users(self, schemas) -> list[dict]:
        """Everyone Moodle lets list insights in some course (mart_course_access), for the
        demo sign-in page: username, roles, number of courses."""
        return self.query(
            None,
            f"""
            select username,
                   string_agg(distinct role_shortname, ', ' order by role_shortname) as roles,
                   count(distinct courseid) as n_courses
            from {schemas.marts}.mart_course_access
            group by username
            order by n_courses, username
            """,
        )

    def is_known_user(self, schemas, username: str) -> bool:
        return any(row["username"] == username for row in self.demo_users(schemas))

    def sign_in(self, username: str, password: str):  # pragma: no cover - not offered
        raise SignInFailed("password sign-in is for PostgreSQL")

    def close_session(self, session) -> None:
        pass

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


# --------------------------------------------------------------------------- PostgreSQL

#: dbt's table swaps (create tmp, rename, drop backup) can make a running query miss a
#: relation; such errors are retried a few times.
_SWAP_MESSAGES = ("could not open relation", "does not exist", "concurrently")


class PostgresReader:
    """PostgreSQL, as the signed-in database role.

    During a `dbt build`, a rebuilt table is swapped in and its old version dropped with
    CASCADE, which drops the teacher views over it until dbt recreates them later in the
    run. A query that finds its view missing is retried briefly; if it is still missing,
    the last answer to the same query for the same user is served (kept in memory,
    at most ``cache_size`` answers) and the session is marked ``stale`` so that the page
    says so; a query never answered before gets a clear "being updated" message.
    """

    engine = "postgres"

    def __init__(
        self,
        settings: PgSettings,
        proxy_role_prefix: str = "",
        retries: int = 3,
        cache_size: int = 500,
    ):
        self.settings = settings
        self.proxy_role_prefix = proxy_role_prefix
        self.retries = retries
        self._pool: list = []
        self._pool_lock = threading.Lock()
        self.published_at = None
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    def _remember(self, key, rows: list[dict]) -> None:
        with self._cache_lock:
            self._cache[key] = rows
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _recall(self, key) -> list[dict] | None:
        with self._cache_lock:
            return self._cache.get(key)

    # -- connections

    def connection_of(self, session):
        """The signed-in user's own connection, for writes (manual messages, feedback):
        the user's grants decide. Behind the single-sign-on proxy there is none yet."""
        if session is None or session.connection is None or session.connection.closed:
            raise Unavailable(
                "contact and feedback on PostgreSQL need a password sign-in (the database "
                "role's own connection); behind the single-sign-on proxy they are not "
                "available yet"
            )
        return session.connection

    def sign_in(self, role: str, password: str):
        """A connection as ``role`` (the password is used once, never kept), or SignInFailed."""
        import psycopg2

        kwargs = self.settings.connect_kwargs()
        kwargs.pop("dsn", None)
        kwargs.update(user=role, password=password, application_name="early_warning_web")
        try:
            con = psycopg2.connect(**kwargs)
        except psycopg2.OperationalError as error:
            message = one_line(error)
            if "authentication failed" in message or "does not exist" in message:
                raise SignInFailed("unknown database role or wrong password") from None
            raise Unavailable(
                f"cannot connect to PostgreSQL at {self.settings.host}:{self.settings.port}: "
                "the server refused or is unreachable; try again later or tell the site operator"
            ) from None
        con.autocommit = True
        return con

    @contextmanager
    def _service_connection(self):
        import psycopg2

        with self._pool_lock:
            con = self._pool.pop() if self._pool else None
        if con is None or con.closed:
            try:
                con = psycopg2.connect(**self.settings.connect_kwargs())
            except psycopg2.OperationalError:
                raise Unavailable(
                    f"cannot connect to PostgreSQL at {self.settings.host}:{self.settings.port}"
                    "; try again later or tell the site operator"
                ) from None
            con.autocommit = True
        try:
            yield con
        finally:
            if not con.closed:
                with self._pool_lock:
                    self._pool.append(con)

    # -- queries

    def query(self, session, sql: str, params: tuple | list = ()) -> list[dict]:
        key = (session.username if session is not None else None, sql, tuple(params))
        try:
            rows = self._query(session, sql, params)
        except ViewsBeingRebuilt:
            rows = self._recall(key)
            if rows is None:
                raise
            if session is not None:
                session.stale = True
            return rows
        self._remember(key, rows)
        return rows

    def _query(self, session, sql: str, params: tuple | list = ()) -> list[dict]:
        import psycopg2

        for attempt in range(self.retries + 1):
            try:
                if session is not None and session.connection is not None:
                    with session.lock, session.connection.cursor() as cur:
                        cur.execute(sql, tuple(params))
                        return _rows(cur)
                with self._service_connection() as con, con.cursor() as cur:
                    role = (
                        f"{self.proxy_role_prefix}{session.username}"
                        if session is not None
                        else None
                    )
                    if role:
                        cur.execute("set role %s", (role,))
                    try:
                        cur.execute(sql, tuple(params))
                        return _rows(cur)
                    finally:
                        if role:
                            cur.execute("reset role")
            except psycopg2.errors.InsufficientPrivilege:
                raise Unavailable(
                    "your database role may not read the teacher views; ask the site operator "
                    "to GRANT the teacher role to it"
                ) from None
            except psycopg2.InterfaceError:
                raise Unavailable("the database connection was lost: sign in again") from None
            except psycopg2.Error as error:
                message = one_line(error)
                if attempt < self.retries and any(m in message for m in _SWAP_MESSAGES):
                    time.sleep(0.2 * (attempt + 1))
                    continue
                if isinstance(error, psycopg2.errors.UndefinedTable):
                    raise ViewsBeingRebuilt(
                        "the warehouse is being updated (a `dbt build` is recreating the "
                        "teacher views) or lacks a view the app reads: try again in a few "
                        "minutes; if this persists, the site operator runs `dbt build`"
                    ) from None
                raise
        raise AssertionError("unreachable")

    def is_known_user(self, schemas, username: str) -> bool:
        return True

    def close_session(self, session) -> None:
        if session.connection is not None and not session.connection.closed:
            session.connection.close()

    def close(self) -> None:
        with self._pool_lock:
            for con in self._pool:
                con.close()
            self._pool.clear()


def make_reader(settings) -> Any:
    if settings.engine == "duckdb":
        return DuckDBReader(settings.duckdb_path)
    if settings.pg is None:
        raise WarehouseError("PostgreSQL settings missing")
    return PostgresReader(settings.pg, proxy_role_prefix=settings.proxy_role_prefix)
