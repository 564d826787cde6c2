"""`early-warning publish`: copy the DuckDB warehouse to the file the web app reads.

A `dbt build` holds the DuckDB file's lock for its whole run, and no other process
may open the file meanwhile, not even read-only. The web app therefore reads a
published copy (``<warehouse>.published.duckdb``, beside it), which this command
replaces atomically after a successful build (``make demo`` and ``make daily`` run
it): the app keeps answering from the previous copy during the build and switches to
the new one on its next request, showing the as_of of what it shows.

    early-warning publish [--duckdb target/early_warning.duckdb] [--to PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from early_warning.warehouse import duckdb_path, one_line
from early_warning.web.config import published_path


class PublishError(RuntimeError):
    pass


def publish(source: str | os.PathLike, target: str | os.PathLike | None = None) -> Path:
    """Copy ``source`` to ``target`` (default: its published path) atomically; return it.

    The source is opened read-only for the copy, so that no build can start writing
    it meanwhile; a build running now makes this fail with a clear message.
    """
    import duckdb

    source = Path(source)
    target = Path(target) if target else published_path(source)
    if not source.exists():
        raise PublishError(f"no DuckDB warehouse at {source}: run `make demo` or `dbt build` first")
    try:
        con = duckdb.connect(str(source), read_only=True)
    except duckdb.Error as error:
        raise PublishError(
            f"cannot open {source} to publish it ({one_line(error)}); if a `dbt build` is "
            "running, publish after it ends"
        ) from None
    try:
        # the build must have got as far as the teacher views the app reads
        found = con.sql(
            "select count(*) from duckdb_views() where schema_name = 'teacher' "
            "and view_name = 'my_course_overview'"
        ).fetchall()[0][0]
        if not found:
            raise PublishError(
                f"{source} has no teacher.my_course_overview: the build did not finish; "
                "run `dbt build` again before publishing"
            )
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(source, tmp)
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="early-warning publish",
        description="Copy the DuckDB warehouse to the published file the web app reads.",
    )
    parser.add_argument(
        "--duckdb",
        default=None,
        help="the warehouse (default: $EW_DUCKDB_PATH or target/early_warning.duckdb)",
    )
    parser.add_argument("--to", default=None, help="where (default: <warehouse>.published.duckdb)")
    args = parser.parse_args(argv)
    try:
        target = publish(args.duckdb or duckdb_path(), args.to)
    except PublishError as error:
        print(f"early-warning publish: {error}", file=sys.stderr)
        return 1
    print(f"published {args.duckdb or duckdb_path()} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
