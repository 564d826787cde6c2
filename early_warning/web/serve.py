"""`early-warning serve`: run the web app (http://127.0.0.1:8000 by default).

    early-warning serve [--host 127.0.0.1] [--port 8000] [--target duckdb|postgres]

DuckDB (default): reads the published copy of target/early_warning.duckdb (`make
demo` publishes it), demo sign-in. PostgreSQL (``--target postgres`` or
EW_TARGET=postgres): the EW_PG_* settings, sign-in with a database role. See
:mod:`early_warning.web.config` for the app's own variables and README "Web app".
"""

from __future__ import annotations

import argparse
import logging
import sys

from early_warning.warehouse import WarehouseError
from early_warning.web.config import WebSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="early-warning serve", description="Serve the curators' and teachers' web app."
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--target",
        choices=("duckdb", "postgres"),
        default=None,
        help="warehouse engine (default: $EW_TARGET or duckdb)",
    )
    args = parser.parse_args(argv)
    try:
        settings = WebSettings.from_env(engine=args.target)
    except (ValueError, WarehouseError) as error:
        print(f"early-warning serve: {error}", file=sys.stderr)
        return 1
    if settings.engine == "duckdb" and not settings.duckdb_path.exists():
        print(
            f"early-warning serve: no published warehouse at {settings.duckdb_path}: run "
            "`make demo` first (it builds and publishes), or `early-warning publish` after "
            "a `dbt build`.",
            file=sys.stderr,
        )
        return 1
    import uvicorn

    from early_warning.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    where = settings.duckdb_path if settings.engine == "duckdb" else settings.pg.describe()
    print(
        f"early-warning serve: {settings.engine} ({where}), sign-in {settings.auth}"
        + (f" + trusted header {settings.trusted_header}" if settings.trusted_header else "")
        + f" on http://{args.host}:{args.port}",
        flush=True,
    )
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
