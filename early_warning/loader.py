"""Load a Moodle site (the demo site, or a Parquet/CSV export) into PostgreSQL.

One file per contract table (``<table>.parquet`` or ``<table>.csv`` with a
header, named like the Moodle table without prefix; the list and the column
types are :mod:`early_warning.moodle_schema`) becomes the table
``<schema>.<prefix><table>`` with PostgreSQL types (``bigint``, ``double
precision``, ``text``). Rows go in with ``COPY ... FROM STDIN`` streamed from
pyarrow record batches (never row inserts, never a whole table in memory).

CSV files have a header; an empty field is NULL, quoted or not (as DuckDB
reads the same files in ``moodle_source: files`` mode), so both engines see
the same site.

The whole load is one transaction: readers see the old site or the new one,
never half of each. The log gets the indexes Moodle's own database has on it
(``RAW_INDEXES``: id and timecreated), then every table is ANALYZEd.

Safety: the loader marks the tables it creates with a comment and only ever
truncates or replaces tables that carry it, so pointing it at a schema that
holds a live Moodle database fails instead of overwriting it (``--force``
overrides).

Command line::

    python -m early_warning.loader --source data/demo [--format parquet|csv] \\
        [--schema moodle_raw] [--prefix mdl_] [--dsn-env EW_PG_DSN] [--create-database]

Connection: the psycopg2 DSN in the env var named by ``--dsn-env`` when it is
set, else ``EW_PG_HOST`` (127.0.0.1), ``EW_PG_PORT`` (5432), ``EW_PG_USER``
(postgres), ``EW_PG_PASSWORD``, ``EW_PG_DATABASE`` (early_warning) -- the
variables the dbt ``postgres`` target reads (:mod:`early_warning.warehouse`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from early_warning.moodle_schema import OPTIONAL_COLUMNS, OPTIONAL_TABLES, TABLES
from early_warning.warehouse import (  # noqa: F401  (re-exported: the loader's public API)
    PgSettings,
    WarehouseError,
    connect,
    create_database_if_missing,
    one_line,
    pg_settings,
)

#: The loader's errors: a problem the user can fix (connection, missing files, bad
#: data); the message says how. Connection problems come from early_warning.warehouse.
LoaderError = WarehouseError

#: Contract logical type -> PostgreSQL column type.
PG_TYPES = {"int64": "bigint", "float64": "double precision", "string": "text"}

#: Comment put on every table the loader creates (and required before it replaces one).
LOADER_MARK = "loaded by early_warning.loader"

#: Indexes the loader creates after loading, as Moodle's own database has them (the
#: log's primary key id and its timecreated index): the incremental daily run finds the
#: new and recent log rows through them instead of scanning the whole log.
RAW_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "logstore_standard_log": (("id",), ("timecreated",)),
}

#: Rows per streamed record batch.
BATCH_ROWS = 100_000

# --------------------------------------------------------------------------- source files


def source_files(source: Path, fmt: str) -> dict[str, Path]:
    """The file of every contract table in ``source``; LoaderError naming all missing
    required ones. Optional tables (moodle_schema.OPTIONAL_TABLES) without a file are
    left out: not loaded, dbt reads them as empty (with a warning)."""
    if fmt not in ("parquet", "csv"):
        raise LoaderError(f"--format must be 'parquet' or 'csv', not '{fmt}'")
    if not source.is_dir():
        raise LoaderError(f"source folder {source} does not exist (or is not a folder)")
    files = {table: source / f"{table}.{fmt}" for table in TABLES}
    files = {
        table: path
        for table, path in files.items()
        if path.is_file() or table not in OPTIONAL_TABLES
    }
    missing = [path.name for path in files.values() if not path.is_file()]
    if missing:
        other = "csv" if fmt == "parquet" else "parquet"
        hint = (
            f" (the folder holds .{other} files: pass --format {other})"
            if any(source.glob(f"*.{other}"))
            else ""
        )
        raise LoaderError(
            f"raw Moodle table files missing in {source}: {', '.join(missing)}{hint}. "
            "Export them there (file name = Moodle table name without prefix) or generate "
            f"the demo site with `python -m early_warning.demo --out {source}`."
        )
    return files


def detect_format(source: Path) -> str:
    """'parquet' unless the folder holds CSV files of the contract and no Parquet ones."""
    has = {
        fmt: any((source / f"{t}.{fmt}").is_file() for t in TABLES) for fmt in ("parquet", "csv")
    }
    return "csv" if has["csv"] and not has["parquet"] else "parquet"


def _arrow_schema(table: str):
    import pyarrow as pa

    arrow = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}
    return pa.schema([(name, arrow[kind]) for name, kind in TABLES[table]])


def _file_columns(path: Path, fmt: str) -> list[str]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        import csv

        header = next(csv.reader(handle), [])
    return header


def read_batches(table: str, path: Path, fmt: str, batch_rows: int = BATCH_ROWS) -> Iterator:
    """Record batches of one contract table, with exactly the contract's columns and types."""
    import pyarrow as pa

    schema = _arrow_schema(table)
    present = _file_columns(path, fmt)
    optional = OPTIONAL_COLUMNS.get(table, frozenset())
    missing = [name for name in schema.names if name not in present and name not in optional]
    if missing:
        raise LoaderError(
            f"{path}: columns missing for table {table}: {', '.join(missing)}"
            f" (optional, loaded as NULL when missing: {', '.join(sorted(optional)) or 'none'})"
        )
    wanted = [name for name in schema.names if name in present]

    if fmt == "parquet":
        import pyarrow.parquet as pq

        batches = pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=wanted)
    else:
        import pyarrow.csv as pcsv

        # Strings: an empty field is NULL, as DuckDB's read_csv makes it in files mode.
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=1 << 24),
            convert_options=pcsv.ConvertOptions(
                column_types={name: schema.field(name).type for name in wanted},
                include_columns=wanted,
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
        batches = reader
    try:
        for batch in batches:
            columns = []
            for field, (_, kind) in zip(schema, TABLES[table], strict=True):
                if field.name not in wanted:  # an optional column the file lacks
                    columns.append(pa.nulls(batch.num_rows, field.type))
                    continue
                column = batch.column(batch.schema.get_field_index(field.name))
                if column.type != field.type:
                    try:
                        column = column.cast(field.type)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                        raise LoaderError(
                            f"{path}: column {field.name} cannot be read as {kind}"
                            f" ({one_line(error)})"
                        ) from None
                columns.append(column)
            yield pa.RecordBatch.from_arrays(columns, schema=schema)
    except pa.ArrowInvalid as error:
        raise LoaderError(f"{path}: cannot read table {table}: {one_line(error)}") from None


class CsvStream:
    """A read()-able file over record batches, rendered as headerless CSV for COPY.

    pyarrow writes NULL as an empty unquoted field and strings quoted, so an empty
    string stays distinct from NULL under PostgreSQL's CSV rules; floats are written
    with their shortest round-trip representation.
    """

    def __init__(self, batches: Iterator, on_batch=None):
        self._batches = iter(batches)
        self._chunk = b""
        self._pos = 0
        self._on_batch = on_batch
        self.rows = 0

    def _next_chunk(self) -> bytes:
        import io

        import pyarrow.csv as pcsv

        for batch in self._batches:
            if batch.num_rows == 0:
                continue
            sink = io.BytesIO()
            pcsv.write_csv(batch, sink, pcsv.WriteOptions(include_header=False))
            self.rows += batch.num_rows
            if self._on_batch:
                self._on_batch(self.rows)
            return sink.getvalue()
        return b""

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the current batch's CSV (b"" at the end)."""
        if self._pos >= len(self._chunk):
            self._chunk, self._pos = self._next_chunk(), 0
        end = len(self._chunk) if size is None or size < 0 else self._pos + size
        out = self._chunk[self._pos : end]
        self._pos += len(out)
        return out

    readline = read


# --------------------------------------------------------------------------- loading


def _progress(message: str, quiet: bool) -> None:
    if not quiet:
        print(f"[loader] {message}", file=sys.stderr, flush=True)


def _existing_table(cur, schema: str, name: str) -> tuple[bool, str | None, list[tuple]]:
    cur.execute(
        """
        select c.oid, obj_description(c.oid, 'pg_class')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s
        """,
        (schema, name),
    )
    rows = cur.fetchall()
    if not rows:
        return False, None, []
    oid, comment = rows[0]
    cur.execute(
        """
        select attname, format_type(atttypid, atttypmod) from pg_attribute
        where attrelid = %s and attnum > 0 and not attisdropped order by attnum
        """,
        (oid,),
    )
    return True, comment, cur.fetchall()


def _prepare_table(cur, schema: str, prefix: str, table: str, force: bool, quiet: bool) -> None:
    """Make <schema>.<prefix><table> an empty table with the contract's columns."""
    from psycopg2 import sql

    name = f"{prefix}{table}"
    ident = sql.Identifier(schema, name)
    wanted = [(column, PG_TYPES[kind]) for column, kind in TABLES[table]]
    exists, comment, columns = _existing_table(cur, schema, name)
    if exists and comment != LOADER_MARK and not force:
        raise LoaderError(
            f"{schema}.{name} exists and was not created by this loader (it may be a live "
            "Moodle table): refusing to overwrite it. Load into another schema (--schema) or "
            "pass --force to replace it."
        )
    if exists and columns == wanted:
        cur.execute(sql.SQL("truncate table {}").format(ident))
        return
    if exists:
        _progress(f"{schema}.{name}: columns differ from the contract, recreating it", quiet)
        # CASCADE: the dbt staging views on it are rebuilt by the next dbt build.
        cur.execute(sql.SQL("drop table {} cascade").format(ident))
    cur.execute(
        sql.SQL("create table {} ({})").format(
            ident,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(pg_type))
                for column, pg_type in wanted
            ),
        )
    )
    cur.execute(sql.SQL("comment on table {} is {}").format(ident, sql.Literal(LOADER_MARK)))


def _create_indexes(cur, schema: str, prefix: str, table: str, quiet: bool) -> None:
    """Create the table's RAW_INDEXES unless they exist (a reload keeps them)."""
    from psycopg2 import sql

    for columns in RAW_INDEXES.get(table, ()):
        name = f"{prefix}{table}_{'_'.join(columns)}_ix"[:63]
        started = time.monotonic()
        cur.execute(
            sql.SQL("create index if not exists {} on {} ({})").format(
                sql.Identifier(name),
                sql.Identifier(schema, f"{prefix}{table}"),
                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            )
        )
        _progress(f"{name}: {time.monotonic() - started:.2f} s", quiet)


def load_site(
    source: str | Path,
    fmt: str | None = None,
    schema: str = "moodle_raw",
    prefix: str = "mdl_",
    settings: PgSettings | None = None,
    create_database: bool = False,
    force: bool = False,
    batch_rows: int = BATCH_ROWS,
    quiet: bool = False,
    indexes: bool = True,
) -> dict[str, int]:
    """Load every contract table of ``source`` into ``schema``; returns rows per table.

    ``indexes=False``: no RAW_INDEXES (when the tables' indexes are managed elsewhere)."""
    import psycopg2
    from psycopg2 import sql

    source = Path(source)
    fmt = fmt or (detect_format(source) if source.is_dir() else "parquet")
    files = source_files(source, fmt)
    settings = settings or pg_settings()
    con = connect(settings, create_database=create_database)
    counts: dict[str, int] = {}
    started = time.monotonic()
    try:
        with con.cursor() as cur:
            try:
                cur.execute(
                    sql.SQL("create schema if not exists {}").format(sql.Identifier(schema))
                )
            except psycopg2.Error as error:
                raise LoaderError(
                    f"cannot create schema '{schema}' in database '{settings.dbname}' as "
                    f"{settings.user}: {one_line(error)}"
                ) from None
            _progress(
                f"loading {len(files)} tables from {source} ({fmt}) into "
                f"{settings.dbname}.{schema} at {settings.describe()}",
                quiet,
            )
            for table, path in files.items():
                name = f"{prefix}{table}"
                table_started = time.monotonic()
                _prepare_table(cur, schema, prefix, table, force, quiet)
                last_report = [table_started]

                def report(rows: int, name=name, table_started=table_started, last=last_report):
                    now = time.monotonic()
                    if now - last[0] >= 5:
                        last[0] = now
                        _progress(f"{name}: {rows:,} rows, {now - table_started:.1f} s ...", quiet)

                stream = CsvStream(read_batches(table, path, fmt, batch_rows), on_batch=report)
                columns = sql.SQL(", ").join(sql.Identifier(c) for c, _ in TABLES[table])
                copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
                    sql.Identifier(schema, name), columns
                )
                try:
                    cur.copy_expert(copy.as_string(con), stream, size=1 << 20)
                except psycopg2.Error as error:
                    raise LoaderError(
                        f"COPY into {schema}.{name} from {path} failed: {one_line(error)}"
                    ) from None
                counts[table] = stream.rows
                _progress(
                    f"{name}: {stream.rows:,} rows in {time.monotonic() - table_started:.2f} s",
                    quiet,
                )
        with con.cursor() as cur:
            for table in files if indexes else ():
                _create_indexes(cur, schema, prefix, table, quiet)
        con.commit()
        analyze_started = time.monotonic()
        with con.cursor() as cur:
            for table in files:
                cur.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, prefix + table)))
        con.commit()
        _progress(
            f"done: {len(counts)} tables, {sum(counts.values()):,} rows in "
            f"{time.monotonic() - started:.1f} s (analyze {time.monotonic() - analyze_started:.1f} s)",
            quiet,
        )
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    return counts


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.loader",
        description=(
            "Load a Moodle site (one Parquet/CSV file per table, as written by "
            "early_warning.demo or exported from Moodle) into PostgreSQL with COPY. "
            "Connection from the env var named by --dsn-env, else EW_PG_HOST, EW_PG_PORT, "
            "EW_PG_USER, EW_PG_PASSWORD, EW_PG_DATABASE."
        ),
    )
    parser.add_argument("--source", required=True, type=Path, help="folder of table files")
    parser.add_argument(
        "--format",
        choices=("parquet", "csv"),
        default=None,
        help="file format (default: detected from the folder; Parquet when both)",
    )
    parser.add_argument("--schema", default="moodle_raw", help="target schema (default moodle_raw)")
    parser.add_argument("--prefix", default="mdl_", help="table name prefix (default mdl_)")
    parser.add_argument(
        "--dsn-env",
        default="EW_PG_DSN",
        help="env var holding a psycopg2 DSN; when unset, the EW_PG_* vars are used "
        "(default: EW_PG_DSN)",
    )
    parser.add_argument(
        "--create-database",
        action="store_true",
        help="create the target database when it does not exist",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing tables even when this loader did not create them",
    )
    parser.add_argument(
        "--no-indexes",
        action="store_true",
        help="do not index the log on id and timecreated (when its indexes are managed "
        "elsewhere; the daily dbt run needs them)",
    )
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS, help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    try:
        load_site(
            args.source,
            fmt=args.format,
            schema=args.schema,
            prefix=args.prefix,
            settings=pg_settings(args.dsn_env),
            create_database=args.create_database,
            force=args.force,
            batch_rows=args.batch_rows,
            quiet=args.quiet,
            indexes=not args.no_indexes,
        )
    except LoaderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
