"""The Open University Learning Analytics Dataset (OULAD) as a source.

The dbt project reads the official OULAD files directly (``--vars '{lms_source:
oulad}'``, README "OULAD"). This module holds what Python needs around them:
finding the files (plain ``.csv`` as in the official ``anonymisedData.zip``, or
``.csv.gz``), and cutting a small, consistent slice of them for tests and CI
(chosen presentations, the first N students of each), written in the official
format so that the slice goes through exactly the same path as the full data.

Data: Kuzilek J., Hlosta M., Zdrahal Z. Open University Learning Analytics
dataset. Scientific Data 4, 170171 (2017), doi:10.1038/sdata.2017.171, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

#: The official files (table name = file name without .csv), in the official order.
OULAD_TABLES: tuple[str, ...] = (
    "courses",
    "assessments",
    "vle",
    "studentInfo",
    "studentRegistration",
    "studentAssessment",
    "studentVle",
)

#: Where this repository's machines keep the shared copy (beside the checkout).
DEFAULT_OULAD_PATH = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "oulad"


class OuladFilesError(ValueError):
    """The OULAD folder does not hold the official files (the message says what to do)."""


def oulad_file(folder: Path, table: str) -> Path:
    """The one file of ``table`` in ``folder``: ``<table>.csv`` or ``<table>.csv.gz``."""
    candidates = [p for p in (folder / f"{table}.csv", folder / f"{table}.csv.gz") if p.exists()]
    if not candidates:
        raise OuladFilesError(
            f"{folder} has no {table}.csv (or {table}.csv.gz): unzip the official "
            "anonymisedData.zip there, or give the folder that holds the OULAD files."
        )
    if len(candidates) > 1:
        raise OuladFilesError(
            f"{folder} holds both {candidates[0].name} and {candidates[1].name}: keep one of them."
        )
    return candidates[0]


def _read(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> str:
    path = str(oulad_file(folder, table)).replace("'", "''")
    return f"read_csv('{path}', header = true, all_varchar = true)"


def parse_presentations(text: str) -> list[tuple[str, str]]:
    """``'AAA 2013J, BBB 2014B'`` -> ``[('AAA', '2013J'), ('BBB', '2014B')]``."""
    result = []
    for item in text.split(","):
        parts = item.split()
        if len(parts) != 2:
            raise ValueError(
                f"presentation {item.strip()!r}: write it as '<module> <presentation>', e.g. 'AAA 2013J'"
            )
        result.append((parts[0], parts[1]))
    return result


def write_slice(
    source: Path,
    out: Path,
    presentations: list[tuple[str, str]],
    max_students: int | None = None,
    compress: bool = False,
) -> dict[str, int]:
    """Write the rows of ``presentations`` (and their first ``max_students`` students
    by id, per presentation) of every OULAD file in ``source`` to ``out``, in the
    official format (header, column order, '' for missing, '?' kept as it is).
    Returns the number of rows written per table."""
    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    wanted = ", ".join(f"('{m}', '{p}')" for m, p in presentations)
    con.execute(
        f"create temp table wanted (code_module varchar, code_presentation varchar); insert into wanted values {wanted}"
    )
    limit = "" if max_students is None else f"where student_rank <= {int(max_students)}"
    con.execute(
        f"""
        create temp table students as
        select code_module, code_presentation, id_student from (
            select r.code_module, r.code_presentation, r.id_student,
                row_number() over (
                    partition by r.code_module, r.code_presentation order by cast(r.id_student as bigint)
                ) as student_rank
            from {_read(con, source, "studentRegistration")} as r
            inner join wanted using (code_module, code_presentation)
        ) {limit}
        """
    )
    selects = {
        "courses": f"select t.* from {_read(con, source, 'courses')} as t inner join wanted using (code_module, code_presentation)",
        "assessments": f"select t.* from {_read(con, source, 'assessments')} as t inner join wanted using (code_module, code_presentation)",
        "vle": f"select t.* from {_read(con, source, 'vle')} as t inner join wanted using (code_module, code_presentation)",
        "studentInfo": f"select t.* from {_read(con, source, 'studentInfo')} as t inner join students using (code_module, code_presentation, id_student)",
        "studentRegistration": f"select t.* from {_read(con, source, 'studentRegistration')} as t inner join students using (code_module, code_presentation, id_student)",
        "studentAssessment": (
            f"select t.* from {_read(con, source, 'studentAssessment')} as t"
            f" where t.id_assessment in (select a.id_assessment from {_read(con, source, 'assessments')} as a"
            " inner join wanted using (code_module, code_presentation))"
            " and t.id_student in (select id_student from students)"
        ),
        "studentVle": f"select t.* from {_read(con, source, 'studentVle')} as t inner join students using (code_module, code_presentation, id_student)",
    }
    counts = {}
    for table in OULAD_TABLES:
        columns = [
            row[0]
            for row in con.sql(f"describe select * from {_read(con, source, table)}").fetchall()
        ]
        select = selects[table].replace(
            "select t.*", "select " + ", ".join(f't."{c}"' for c in columns), 1
        )
        suffix = ".csv.gz" if compress else ".csv"
        target = str(out / f"{table}{suffix}").replace("'", "''")
        for stale in (out / f"{table}.csv", out / f"{table}.csv.gz"):
            stale.unlink(missing_ok=True)
        options = "header, delimiter ','" + (", compression 'gzip'" if compress else "")
        con.execute(f"copy ({select}) to '{target}' ({options})")
        counts[table] = con.sql(f"select count(*) from ({select})").fetchall()[0][0]
    return counts


def load_oulad(
    source: Path,
    schema: str = "oulad_raw",
    settings=None,
    force: bool = False,
    create_database: bool = False,
    quiet: bool = False,
) -> dict[str, int]:
    """Load the OULAD files of ``source`` into ``<schema>.<table>`` of PostgreSQL
    (``oulad_source: database``): text columns named like the file header, rows
    streamed with ``COPY ... FROM STDIN`` (plain or gzipped, never in memory),
    one transaction, then ANALYZE. The dbt staging models cast and clean the
    values ('' and '?' are missing). Like the Moodle loader, it only replaces
    tables it created itself unless ``force``. Returns the rows loaded per table."""
    import gzip
    import time

    from psycopg2 import sql

    from early_warning.loader import LOADER_MARK, LoaderError, _existing_table
    from early_warning.warehouse import connect, pg_settings

    source = Path(source)
    settings = settings or pg_settings()
    files = {table: oulad_file(source, table) for table in OULAD_TABLES}
    con = connect(settings, create_database=create_database)
    counts: dict[str, int] = {}
    started = time.monotonic()
    try:
        with con, con.cursor() as cur:
            cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            for table, path in files.items():
                opener = gzip.open if path.suffix == ".gz" else open
                with opener(path, "rt", encoding="utf-8", newline="") as handle:
                    header = handle.readline().strip().split(",")
                columns = [name.strip().strip('"') for name in header]
                ident = sql.Identifier(schema, table)
                exists, comment, _ = _existing_table(cur, schema, table)
                if exists and comment != LOADER_MARK and not force:
                    raise LoaderError(
                        f"{schema}.{table} exists and was not created by this loader: refusing to "
                        "overwrite it. Load into another schema (--schema) or pass --force."
                    )
                if exists:
                    cur.execute(sql.SQL("drop table {} cascade").format(ident))
                cur.execute(
                    sql.SQL("create table {} ({})").format(
                        ident,
                        sql.SQL(", ").join(
                            sql.SQL("{} text").format(sql.Identifier(c)) for c in columns
                        ),
                    )
                )
                cur.execute(
                    sql.SQL("comment on table {} is {}").format(ident, sql.Literal(LOADER_MARK))
                )
                with opener(path, "rb") as handle:
                    cur.copy_expert(
                        sql.SQL("copy {} from stdin with (format csv, header true)")
                        .format(ident)
                        .as_string(con),
                        handle,
                    )
                counts[table] = cur.rowcount
                if not quiet:
                    print(
                        f"[oulad] {schema}.{table}: {counts[table]:,} rows ({time.monotonic() - started:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
        con.autocommit = True
        with con.cursor() as cur:
            for table in files:
                cur.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, table)))
    finally:
        con.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.oulad",
        description="Work with the OULAD files: cut a small slice, or load them into PostgreSQL.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser(
        "load", help="load the OULAD files into PostgreSQL (oulad_source: database)"
    )
    load.add_argument(
        "--source", type=Path, default=DEFAULT_OULAD_PATH, help="folder of the official OULAD files"
    )
    load.add_argument("--schema", default="oulad_raw", help="target schema (default oulad_raw)")
    load.add_argument(
        "--force", action="store_true", help="replace tables this loader did not create"
    )
    load.add_argument(
        "--create-database", action="store_true", help="create EW_PG_DATABASE when missing"
    )
    load.add_argument("--quiet", action="store_true", help="no progress on stderr")
    cut = commands.add_parser(
        "slice", help="cut a slice: chosen presentations, first N students each"
    )
    cut.add_argument(
        "--source", type=Path, default=DEFAULT_OULAD_PATH, help="folder of the official OULAD files"
    )
    cut.add_argument("--out", type=Path, required=True, help="folder to write the slice to")
    cut.add_argument(
        "--presentations",
        default="AAA 2013J, AAA 2014J, BBB 2013J, BBB 2014B",
        help="comma-separated 'AAA 2013J' codes",
    )
    cut.add_argument(
        "--max-students", type=int, default=None, help="first N students (by id) per presentation"
    )
    cut.add_argument("--gzip", action="store_true", help="write .csv.gz instead of .csv")
    args = parser.parse_args(argv)
    if args.command == "load":
        from early_warning.loader import LoaderError

        try:
            counts = load_oulad(
                args.source,
                args.schema,
                force=args.force,
                create_database=args.create_database,
                quiet=args.quiet,
            )
        except (OuladFilesError, LoaderError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"loaded {sum(counts.values()):,} rows into schema {args.schema}")
        return 0
    try:
        counts = write_slice(
            args.source,
            args.out,
            parse_presentations(args.presentations),
            args.max_students,
            args.gzip,
        )
    except (OuladFilesError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for table, n in counts.items():
        print(f"{table}: {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
