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
        columns = [row[0] for row in con.sql(f"describe select * from {_read(con, source, table)}").fetchall()]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.oulad",
        description="Cut a small slice of the OULAD files (chosen presentations, first N students each).",
    )
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_OULAD_PATH, help="folder of the official OULAD files"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the slice to")
    parser.add_argument(
        "--presentations",
        default="AAA 2013J, AAA 2014J, BBB 2013J, BBB 2014J",
        help="comma-separated 'AAA 2013J' codes",
    )
    parser.add_argument(
        "--max-students", type=int, default=None, help="first N students (by id) per presentation"
    )
    parser.add_argument("--gzip", action="store_true", help="write .csv.gz instead of .csv")
    args = parser.parse_args(argv)
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
