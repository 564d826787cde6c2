"""Warehouse connections and schema names, in one place.

Every tool of the package that reads or writes the warehouse (the loader, the
ML job, the comparison, the AI usage report, the notification sender) opens
its connection and names its schemas here:

* PostgreSQL: :func:`pg_settings` reads the psycopg2 DSN in the env var given
  (``EW_PG_DSN`` by default) when it is set, else ``EW_PG_HOST`` (127.0.0.1),
  ``EW_PG_PORT`` (5432), ``EW_PG_USER`` (postgres), ``EW_PG_PASSWORD`` and
  ``EW_PG_DATABASE`` (early_warning) -- the variables the dbt ``postgres``
  target reads; :func:`connect` opens the connection or raises
  :class:`WarehouseError` saying what is wrong and what to set. Secrets come only
  from the environment and are never printed.
* DuckDB: :func:`duckdb_path` is ``EW_DUCKDB_PATH`` (target/early_warning.duckdb).
* Schema names: :class:`Schemas` follows the macro ``generate_schema_name``:
  dbt's custom schemas as they are on DuckDB (``marts``), prefixed with the
  target schema elsewhere (``EW_PG_SCHEMA``, default ``ew``: ``ew_marts``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: The DuckDB warehouse when EW_DUCKDB_PATH is not set (profiles.yml's default).
DEFAULT_DUCKDB_PATH = "target/early_warning.duckdb"

#: dbt's target schema on PostgreSQL when EW_PG_SCHEMA is not set (profiles.yml's default).
DEFAULT_PG_SCHEMA = "ew"


ENV_HELP = (
    "set EW_PG_HOST, EW_PG_PORT, EW_PG_USER, EW_PG_PASSWORD and EW_PG_DATABASE "
    "(or a psycopg2 DSN in the env var given by --dsn-env)"
)


class WarehouseError(RuntimeError):
    """A problem the user can fix (connection, missing database); the message says how."""


# --------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class PgSettings:
    """Where to connect: keyword arguments for psycopg2.connect, plus a DSN if one was given."""

    params: dict
    dsn: str | None = None

    @property
    def host(self) -> str:
        return str(self.params.get("host") or "localhost")

    @property
    def port(self) -> str:
        return str(self.params.get("port") or "5432")

    @property
    def user(self) -> str:
        return str(self.params.get("user") or os.environ.get("USER", "?"))

    @property
    def dbname(self) -> str:
        return str(self.params.get("dbname") or self.user)

    def describe(self) -> str:
        return f"{self.host}:{self.port} as {self.user}"

    def connect_kwargs(self, dbname: str | None = None) -> dict:
        """Arguments for psycopg2.connect, optionally for another database of the server."""
        kwargs = dict(self.params)
        if dbname is not None:
            kwargs["dbname"] = dbname
        kwargs.setdefault("connect_timeout", 10)
        kwargs.setdefault("application_name", "early_warning")
        return kwargs


def pg_settings(dsn_env: str | None = "EW_PG_DSN", environ: dict | None = None) -> PgSettings:
    """Connection settings: the DSN in env var ``dsn_env`` if set, else the EW_PG_* variables."""
    env = os.environ if environ is None else environ
    dsn = env.get(dsn_env) if dsn_env else None
    if dsn:
        return dsn_settings(dsn, f"${dsn_env}")
    params = {
        "host": env.get("EW_PG_HOST", "127.0.0.1"),
        "port": env.get("EW_PG_PORT", "5432"),
        "user": env.get("EW_PG_USER", "postgres"),
        "dbname": env.get("EW_PG_DATABASE", "early_warning"),
    }
    if env.get("EW_PG_PASSWORD"):
        params["password"] = env["EW_PG_PASSWORD"]
    return PgSettings(params=params)


def dsn_settings(dsn: str, origin: str = "given") -> PgSettings:
    """Connection settings from a psycopg2 DSN (``origin`` names where it came from)."""
    from psycopg2.extensions import parse_dsn

    try:
        params = parse_dsn(dsn)
    except Exception as error:  # psycopg2.ProgrammingError: malformed DSN
        raise WarehouseError(f"the PostgreSQL DSN {origin} is not valid: {error}".strip()) from None
    return PgSettings(params=params, dsn=dsn)


def one_line(error: Exception) -> str:
    """An error message on one line (the name of its type when empty)."""
    return " ".join(str(error).split()) or type(error).__name__


def connect(settings: PgSettings, create_database: bool = False):
    """Open a psycopg2 connection, or raise WarehouseError saying what is wrong and what to set."""
    import psycopg2

    try:
        return psycopg2.connect(**settings.connect_kwargs())
    except psycopg2.OperationalError as error:
        reason = one_line(error)
        if f'database "{settings.dbname}" does not exist' not in reason:
            raise WarehouseError(
                f"cannot connect to PostgreSQL at {settings.describe()}: {reason}; {ENV_HELP}."
            ) from None
    if not create_database:
        raise WarehouseError(
            f"database '{settings.dbname}' does not exist on the PostgreSQL server at "
            f"{settings.host}:{settings.port}. Create it (createdb -h {settings.host} "
            f"-p {settings.port} -U {settings.user} {settings.dbname}), pass "
            f"--create-database, or set EW_PG_DATABASE to an existing database."
        )
    create_database_if_missing(settings)
    try:
        return psycopg2.connect(**settings.connect_kwargs())
    except psycopg2.OperationalError as error:
        raise WarehouseError(
            f"cannot connect to PostgreSQL at {settings.describe()}: {one_line(error)}; {ENV_HELP}."
        ) from None


def create_database_if_missing(settings: PgSettings, maintenance_db: str = "postgres") -> bool:
    """CREATE DATABASE settings.dbname unless it exists; True when it was created."""
    import psycopg2
    from psycopg2 import sql

    try:
        con = psycopg2.connect(**settings.connect_kwargs(dbname=maintenance_db))
    except psycopg2.OperationalError as error:
        raise WarehouseError(
            f"cannot connect to PostgreSQL at {settings.describe()} (database "
            f"'{maintenance_db}', to create '{settings.dbname}'): {one_line(error)}; {ENV_HELP}."
        ) from None
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (settings.dbname,))
            if cur.fetchall():
                return False
            try:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(settings.dbname)))
            except psycopg2.Error as error:
                raise WarehouseError(
                    f"cannot create database '{settings.dbname}' as {settings.user}: "
                    f"{one_line(error)}"
                ) from None
            return True
    finally:
        con.close()


# --------------------------------------------------------------------------- DuckDB


def duckdb_path(environ: dict | None = None) -> str:
    """The DuckDB warehouse file: $EW_DUCKDB_PATH, else target/early_warning.duckdb."""
    env = os.environ if environ is None else environ
    return env.get("EW_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH


# --------------------------------------------------------------------------- schema names


@dataclass(frozen=True)
class Schemas:
    """The schemas dbt builds (and the ML job and the sender write) on one warehouse.

    ``prefix`` None: DuckDB, where dbt's custom schemas are used as they are
    (``marts``); otherwise the target schema that prefixes them on PostgreSQL
    (``ew`` -> ``ew_marts``), as the macro ``generate_schema_name`` does.
    """

    prefix: str | None = DEFAULT_PG_SCHEMA

    @classmethod
    def duckdb(cls) -> Schemas:
        return cls(None)

    @classmethod
    def postgres(cls, prefix: str | None = None, environ: dict | None = None) -> Schemas:
        """PostgreSQL schemas of the target schema ``prefix`` (default: $EW_PG_SCHEMA or ew)."""
        env = os.environ if environ is None else environ
        return cls(prefix or env.get("EW_PG_SCHEMA") or DEFAULT_PG_SCHEMA)

    def name(self, layer: str) -> str:
        """The schema of one of dbt's custom schemas (staging, marts, ...) or the ML job's."""
        return layer if self.prefix is None else f"{self.prefix}_{layer}"

    @property
    def staging(self) -> str:
        return self.name("staging")

    @property
    def intermediate(self) -> str:
        return self.name("intermediate")

    @property
    def marts(self) -> str:
        return self.name("marts")

    @property
    def teacher(self) -> str:
        return self.name("teacher")

    @property
    def ml(self) -> str:
        """The classifiers' tables: the dbt Python models (DuckDB) or `early-warning ml-job`."""
        return self.name("ml")

    @property
    def notifications(self) -> str:
        """The delivery log of the Telegram sender (a schema dbt never touches)."""
        return self.name("notifications")


def pg_schema(layer: str, prefix: str | None = None) -> str:
    """One PostgreSQL schema name, e.g. pg_schema('marts') == 'ew_marts' with the defaults."""
    return Schemas.postgres(prefix).name(layer)
