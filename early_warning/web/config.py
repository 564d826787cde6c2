"""The web app's settings, from the environment (and `early-warning serve`'s options).

Engine and connection come from :mod:`early_warning.warehouse` (EW_TARGET,
EW_DUCKDB_PATH, EW_PG_* / EW_PG_DSN, EW_PG_SCHEMA); the app's own variables:

``EW_WEB_DUCKDB_PATH``   the DuckDB file the app reads (default: the published copy of
                         the warehouse, ``<warehouse>.published.duckdb``, see
                         :mod:`early_warning.web.publish`)
``EW_WEB_AUTH``          ``demo`` (DuckDB default: pick a demo user from a list) or
                         ``password`` (PostgreSQL default: sign in as a database role)
``EW_WEB_TRUSTED_HEADER`` a request header set by a trusted reverse proxy (single
                         sign-on) naming the signed-in Moodle user, e.g. ``X-Remote-User``.
                         Off unless set; only set it when the app is reachable through
                         that proxy alone (anyone who can reach the app directly could
                         send the header).
``EW_WEB_PROXY_ROLE_PREFIX`` PostgreSQL with the trusted header: the database role of
                         Moodle user jsmith is ``<prefix>jsmith`` (the dbt var
                         teacher_role_prefix); the app's own database user must be a
                         member of those roles (``SET ROLE``).
``EW_WEB_SESSION_MINUTES`` idle minutes before a session ends (default 60)
``EW_WEB_WAREHOUSE_PATH`` DuckDB: the live warehouse file where manual messages and
                         feedback are written (default: the warehouse, EW_DUCKDB_PATH);
                         pages read the published copy, writes go to the file dbt reads
``TELEGRAM_BOT_TOKEN`` / ``TELEGRAM_API_BASE`` the bot the card's contact form sends with
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from early_warning.warehouse import PgSettings, Schemas, duckdb_path, pg_settings

AUTH_MODES = ("demo", "password")


def published_path(warehouse: str | os.PathLike) -> Path:
    """The published copy of a DuckDB warehouse: target/early_warning.duckdb ->
    target/early_warning.published.duckdb."""
    path = Path(warehouse)
    return path.with_name(f"{path.name.split('.')[0]}.published.duckdb")


def catalog_name(path: str | os.PathLike) -> str:
    """DuckDB's catalog of a warehouse file as dbt built it (its name up to the first dot):
    the views of the copy name it, so the copy is attached under the same name."""
    return Path(path).name.split(".")[0]


@dataclass
class WebSettings:
    engine: str = "duckdb"  # duckdb | postgres
    duckdb_path: Path = field(default_factory=lambda: published_path(duckdb_path()))
    pg: PgSettings | None = None
    schemas: Schemas = field(default_factory=Schemas.duckdb)
    auth: str = "demo"
    trusted_header: str | None = None
    proxy_role_prefix: str = ""
    session_minutes: int = 60
    #: DuckDB: the live warehouse (delivery log and feedback are written there)
    warehouse_path: Path | None = None

    @classmethod
    def from_env(cls, environ: dict | None = None, engine: str | None = None) -> WebSettings:
        env = os.environ if environ is None else environ
        engine = engine or env.get("EW_TARGET", "duckdb")
        if engine not in ("duckdb", "postgres"):
            raise ValueError(f"EW_TARGET={engine!r}: the web app reads duckdb or postgres")
        auth = env.get("EW_WEB_AUTH") or ("demo" if engine == "duckdb" else "password")
        if auth not in AUTH_MODES:
            raise ValueError(f"EW_WEB_AUTH={auth!r}: give one of {', '.join(AUTH_MODES)}")
        if engine == "postgres" and auth == "demo":
            raise ValueError(
                "EW_WEB_AUTH=demo is for the DuckDB demo only: on PostgreSQL users sign in "
                "with their database role (EW_WEB_AUTH=password) or through a trusted proxy "
                "header (EW_WEB_TRUSTED_HEADER)"
            )
        settings = cls(
            engine=engine,
            auth=auth,
            trusted_header=env.get("EW_WEB_TRUSTED_HEADER") or None,
            proxy_role_prefix=env.get("EW_WEB_PROXY_ROLE_PREFIX", ""),
            session_minutes=int(env.get("EW_WEB_SESSION_MINUTES", "60")),
        )
        if engine == "duckdb":
            settings.duckdb_path = Path(
                env.get("EW_WEB_DUCKDB_PATH") or published_path(duckdb_path(env))
            )
            settings.schemas = Schemas.duckdb()
            settings.warehouse_path = Path(env.get("EW_WEB_WAREHOUSE_PATH") or duckdb_path(env))
        else:
            settings.pg = pg_settings(environ=env)
            settings.schemas = Schemas.postgres(environ=env)
        return settings
