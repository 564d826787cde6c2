"""Compare the final marts of two warehouses row by row (DuckDB and PostgreSQL).

The same site built on both engines must give the same marts: rows are matched
on each mart's key; ids, categories, flags, text, integers and times must be
equal; floating-point values (features, shares, probabilities) may differ by
at most ``tolerance`` (1e-6), absolute or relative. NULL only matches NULL.

Command line::

    python -m early_warning.compare --duckdb target/early_warning.duckdb \\
        [--pg-schema ew_marts] [--dsn-env EW_PG_DSN] [--tolerance 1e-6]

The two sides may be any two warehouses: a DuckDB file and PostgreSQL (the
default), two DuckDB files (``--duckdb A --duckdb-other B``) or two PostgreSQL
schemas of one database (``--pg-schema before_marts --pg-other-schema
after_marts``), e.g. to check that a change left the marts as they were
(before/after a refactoring: build the same site with the old and the new
code, then compare). Exit status 1 when the marts differ. PostgreSQL
connection: the DSN in ``$EW_PG_DSN``, else the EW_PG_* variables (see
:mod:`early_warning.warehouse`).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

#: Final marts that both engines build, with the columns that identify a row.
MART_KEYS: dict[str, tuple[str, ...]] = {
    "fct_activity_daily": ("enrolment_id", "course_day"),
    "fct_enrolment_week_features": ("enrolment_id", "course_week"),
    "fct_enrolment_outcomes": ("enrolment_id",),
    "mart_data_quality": ("source_table", "check_name"),
    "mart_student_activity": ("enrolment_id", "course_week"),
    "mart_student_category_history": ("run_as_of", "enrolment_id"),
    "mart_course_critical_points": ("courseid", "course_week"),
    "mart_course_critical_activities": ("courseid", "course_module_id"),
    "mart_inactivity_return_rates": ("inactive_days",),
    "mart_course_access": ("courseid", "userid", "role_shortname", "granted_at"),
    "mart_ai_usage": ("provider", "actionname", "model"),
    "mart_ai_usage_by_action": ("provider", "actionname"),
    "mart_ai_usage_weekly": ("provider", "week_start"),
    "mart_student_contact": ("enrolment_id",),
    "mart_outreach_outcomes": ("enrolment_id", "course_week"),
}

#: Marts only a Moodle build has (the AI subsystem, Telegram): not built on OULAD.
MOODLE_ONLY_MARTS = frozenset(
    {
        "mart_ai_usage",
        "mart_ai_usage_by_action",
        "mart_ai_usage_weekly",
        "mart_student_contact",
        "mart_outreach_outcomes",
    }
)

#: Marts of the classifiers: compared when both warehouses have them (PostgreSQL
#: gets them once the classifiers run there as SQL).
ML_MART_KEYS: dict[str, tuple[str, ...]] = {
    "mart_student_scores": ("enrolment_id", "course_week"),
    "mart_student_current": ("enrolment_id",),
    "mart_model_evaluation": ("model_version", "algorithm", "interval_type", "interval_index"),
    "mart_model_calibration": ("model_version", "probability_kind", "bin_number"),
    # reads the scores (risk-band rises): on PostgreSQL once the ml-job has run
    "mart_notification_outbox": ("enrolment_id", "course_week", "transition"),
}

#: Columns that legitimately differ between two runs (wall-clock times).
IGNORED_COLUMNS: dict[str, frozenset[str]] = {
    "mart_student_category_history": frozenset({"run_started_at"}),
}

DEFAULT_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- warehouses


class Warehouse:
    """Read-only access to the marts schema of one warehouse."""

    label = "warehouse"
    schema = ""

    def tables(self) -> set[str]:
        raise NotImplementedError

    def fetch(self, table: str, columns: list[str]) -> list[tuple]:
        raise NotImplementedError

    def columns(self, table: str) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class DuckDBWarehouse(Warehouse):
    def __init__(self, path: str | Path, schema: str = "marts", label: str = "duckdb"):
        import duckdb

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"DuckDB warehouse {path} does not exist; build it first")
        self.con = duckdb.connect(str(path), read_only=True)
        self.schema = schema
        self.label = label

    def tables(self) -> set[str]:
        rows = self.con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [self.schema],
        ).fetchall()
        return {name for (name,) in rows}

    def columns(self, table: str) -> list[str]:
        rows = self.con.execute(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [self.schema, table],
        ).fetchall()
        return [name for (name,) in rows]

    def fetch(self, table: str, columns: list[str]) -> list[tuple]:
        select = ", ".join(_quote(c) for c in columns)
        return self.con.execute(
            f"select {select} from {_quote(self.schema)}.{_quote(table)}"
        ).fetchall()

    def close(self) -> None:
        self.con.close()


class PostgresWarehouse(Warehouse):
    def __init__(self, con, schema: str, label: str = "postgres"):
        self.con = con
        self.schema = schema
        self.label = label

    @classmethod
    def connect(cls, schema: str, dsn_env: str | None = "EW_PG_DSN") -> PostgresWarehouse:
        from early_warning.warehouse import connect, pg_settings

        return cls(connect(pg_settings(dsn_env)), schema)

    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql, tuple(params))
            rows = cur.fetchall()
        self.con.rollback()  # read-only: end the transaction, release locks
        return rows

    def tables(self) -> set[str]:
        rows = self._query(
            "select table_name from information_schema.tables where table_schema = %s",
            [self.schema],
        )
        return {name for (name,) in rows}

    def columns(self, table: str) -> list[str]:
        rows = self._query(
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            [self.schema, table],
        )
        return [name for (name,) in rows]

    def fetch(self, table: str, columns: list[str]) -> list[tuple]:
        select = ", ".join(_quote(c) for c in columns)
        return self._query(f"select {select} from {_quote(self.schema)}.{_quote(table)}")

    def close(self) -> None:
        self.con.close()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --------------------------------------------------------------------------- comparison


@dataclass
class MartDiff:
    """What differs in one mart between the two warehouses."""

    mart: str
    key: tuple[str, ...]
    rows: tuple[int, int] | None = None  # None: not read (missing somewhere)
    problems: list[str] = field(default_factory=list)  # whole-table problems
    only_left: list[tuple] = field(default_factory=list)
    only_right: list[tuple] = field(default_factory=list)
    duplicate_keys: list[tuple] = field(default_factory=list)
    # (key, column, left value, right value)
    value_diffs: list[tuple] = field(default_factory=list)
    n_value_diffs: int = 0
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is not None or not (
            self.problems
            or self.only_left
            or self.only_right
            or self.duplicate_keys
            or self.n_value_diffs
        )


@dataclass
class Comparison:
    left: str
    right: str
    tolerance: float
    marts: list[MartDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.marts)

    def report(self, max_examples: int = 10) -> str:
        lines = [
            f"comparing marts: {self.left} vs {self.right} "
            f"(numbers within {self.tolerance:g}, everything else exact)"
        ]
        lines += [f"  note: {note}" for note in self.notes]
        for m in self.marts:
            if m.skipped:
                lines.append(f"  -    {m.mart}: not compared ({m.skipped})")
                continue
            status = "ok  " if m.ok else "DIFF"
            counts = (
                f"{m.rows[0]:,} rows in {self.left}, {m.rows[1]:,} in {self.right}"
                if m.rows is not None
                else "not read"
            )
            lines.append(f"  {status} {m.mart}: {counts} (key: {', '.join(m.key)})")
            for problem in m.problems:
                lines.append(f"         {problem}")
            for label, keys in (
                (f"only in {self.left}", m.only_left),
                (f"only in {self.right}", m.only_right),
                ("duplicate keys", m.duplicate_keys),
            ):
                if keys:
                    shown = ", ".join(map(_show_key, keys[:max_examples]))
                    more = f" ... (+{len(keys) - max_examples})" if len(keys) > max_examples else ""
                    lines.append(f"         {len(keys):,} keys {label}: {shown}{more}")
            if m.n_value_diffs:
                lines.append(f"         {m.n_value_diffs:,} values differ, e.g.:")
                for key, column, a, b in m.value_diffs[:max_examples]:
                    lines.append(
                        f"           {_show_key(key)} {column}: {self.left}={a!r} "
                        f"{self.right}={b!r}{_show_delta(a, b)}"
                    )
        n_bad = sum(not m.ok for m in self.marts)
        n_done = sum(m.skipped is None for m in self.marts)
        lines.append("marts agree" if self.ok else f"{n_bad} of {n_done} compared marts differ")
        return "\n".join(lines)


def _show_key(key: tuple) -> str:
    return "(" + ", ".join(map(str, key)) + ")"


def _show_delta(a, b) -> str:
    fa, fb = _as_float(a), _as_float(b)
    if fa is None or fb is None:
        return ""
    return f" (diff {abs(fa - fb):.3g})"


def _as_float(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


def _is_inexact(value) -> bool:
    """A floating-point value (or a non-integral NUMERIC): compared with a tolerance."""
    if isinstance(value, float):
        return True
    return isinstance(value, Decimal) and value != value.to_integral_value()


def values_equal(a, b, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Equality of two cells across engines: exact, except floats within tolerance."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_inexact(a) or _is_inexact(b):
        fa, fb = _as_float(a), _as_float(b)
        if fa is None or fb is None:
            return False
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        if math.isinf(fa) or math.isinf(fb):
            return fa == fb
        return abs(fa - fb) <= tolerance or abs(fa - fb) <= tolerance * max(abs(fa), abs(fb))
    if isinstance(a, int | Decimal) and isinstance(b, int | Decimal):
        return Decimal(a) == Decimal(b)
    if isinstance(a, datetime | date) and isinstance(b, datetime | date):
        return _naive(a) == _naive(b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return type(a) is type(b) and a == b


def _naive(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        from datetime import UTC

        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _key_value(value):
    """A hashable, engine-independent form of a key cell (ints from NUMERIC, naive times)."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _naive(value)


def compare_mart(
    left: Warehouse,
    right: Warehouse,
    mart: str,
    key: tuple[str, ...],
    tolerance: float = DEFAULT_TOLERANCE,
    max_examples: int = 20,
) -> MartDiff:
    """Compare one mart present in both warehouses."""
    diff = MartDiff(mart=mart, key=key)
    ignored = IGNORED_COLUMNS.get(mart, frozenset())
    left_columns = [c for c in left.columns(mart) if c not in ignored]
    right_columns = [c for c in right.columns(mart) if c not in ignored]
    right_set = set(right_columns)
    common = [c for c in left_columns if c in right_set]
    only_left = [c for c in left_columns if c not in right_set]
    only_right = [c for c in right_columns if c not in set(left_columns)]
    if only_left:
        diff.problems.append(f"columns only in {left.label}: {', '.join(only_left)}")
    if only_right:
        diff.problems.append(f"columns only in {right.label}: {', '.join(only_right)}")
    missing_key = [c for c in key if c not in common]
    if missing_key:
        diff.problems.append(f"key columns missing: {', '.join(missing_key)}")
        return diff

    key_index = [common.index(c) for c in key]
    sides = []
    for warehouse in (left, right):
        rows = warehouse.fetch(mart, common)
        by_key: dict[tuple, tuple] = {}
        for row in rows:
            k = tuple(_key_value(row[i]) for i in key_index)
            if k in by_key:
                diff.duplicate_keys.append(k)
            by_key[k] = row
        sides.append((len(rows), by_key))
    (n_left, left_rows), (n_right, right_rows) = sides
    diff.rows = (n_left, n_right)
    diff.only_left = sorted(set(left_rows) - set(right_rows), key=_sort_key)
    diff.only_right = sorted(set(right_rows) - set(left_rows), key=_sort_key)
    for k in sorted(set(left_rows) & set(right_rows), key=_sort_key):
        a_row, b_row = left_rows[k], right_rows[k]
        for i, column in enumerate(common):
            if not values_equal(a_row[i], b_row[i], tolerance):
                diff.n_value_diffs += 1
                if len(diff.value_diffs) < max_examples:
                    diff.value_diffs.append((k, column, a_row[i], b_row[i]))
    return diff


def _sort_key(key: tuple) -> tuple:
    return tuple((v is None, str(type(v)), v if v is not None else 0) for v in key)


def compare_warehouses(
    left: Warehouse,
    right: Warehouse,
    marts: dict[str, tuple[str, ...]] | None = None,
    optional_marts: dict[str, tuple[str, ...]] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Comparison:
    """Compare ``marts`` (required in both) and ``optional_marts`` (when both have them)."""
    marts = MART_KEYS if marts is None else marts
    optional_marts = ML_MART_KEYS if optional_marts is None else optional_marts
    result = Comparison(left=left.label, right=right.label, tolerance=tolerance)
    left_tables, right_tables = left.tables(), right.tables()
    for warehouse, tables in ((left, left_tables), (right, right_tables)):
        if not tables:
            result.notes.append(
                f"{warehouse.label}: schema {warehouse.schema!r} holds no tables "
                "(wrong schema, or the build has not run there)"
            )
    for mart, key in {**marts, **optional_marts}.items():
        present = (mart in left_tables, mart in right_tables)
        if present != (True, True):
            missing = [w.label for w, p in zip((left, right), present, strict=True) if not p]
            diff = MartDiff(mart=mart, key=key)
            if mart in marts and present != (False, False):
                diff.problems.append(f"missing in {' and '.join(missing)}")
            else:  # an optional mart, or one neither builds (e.g. Moodle-only marts on OULAD)
                diff.skipped = f"not built in {' and '.join(missing)}"
            result.marts.append(diff)
            continue
        result.marts.append(compare_mart(left, right, mart, key, tolerance))
    unknown = (left_tables & right_tables) - set(marts) - set(optional_marts)
    for mart in sorted(unknown):
        result.marts.append(MartDiff(mart=mart, key=(), skipped="no key declared in compare.py"))
    return result


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.compare",
        description="Compare the final marts of two warehouses row by row on each mart's key: "
        "a DuckDB file and PostgreSQL (default), two DuckDB files, or two PostgreSQL schemas.",
    )
    parser.add_argument("--duckdb", type=Path, help="the (left) DuckDB warehouse file")
    parser.add_argument("--duckdb-schema", default="marts", help="its marts schema (marts)")
    parser.add_argument(
        "--duckdb-other",
        type=Path,
        help="compare with this second DuckDB file instead of PostgreSQL",
    )
    parser.add_argument(
        "--pg-schema",
        default=None,
        help="PostgreSQL marts schema (default: ${EW_PG_SCHEMA:-ew}_marts)",
    )
    parser.add_argument(
        "--pg-other-schema",
        default=None,
        help="without --duckdb: compare --pg-schema with this second schema of the same database",
    )
    parser.add_argument(
        "--dsn-env",
        default="EW_PG_DSN",
        help="env var holding a psycopg2 DSN; when unset, the EW_PG_* vars are used",
    )
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    parser.add_argument("--max-examples", type=int, default=10)
    args = parser.parse_args(argv)
    if args.duckdb is None and args.pg_other_schema is None:
        parser.error(
            "give --duckdb FILE, or --pg-schema and --pg-other-schema (two PostgreSQL schemas)"
        )
    if args.duckdb is not None and args.pg_other_schema is not None:
        parser.error("--pg-other-schema compares two PostgreSQL schemas: leave out --duckdb")

    from early_warning.warehouse import WarehouseError, pg_schema

    opened: list[Warehouse] = []
    try:
        if args.duckdb is not None:
            left = DuckDBWarehouse(args.duckdb, args.duckdb_schema)
            opened.append(left)
            if args.duckdb_other:
                left.label = str(args.duckdb)
                right = DuckDBWarehouse(
                    args.duckdb_other, args.duckdb_schema, str(args.duckdb_other)
                )
            else:
                right = PostgresWarehouse.connect(
                    args.pg_schema or pg_schema("marts"), args.dsn_env
                )
        else:
            schema = args.pg_schema or pg_schema("marts")
            left = PostgresWarehouse.connect(schema, args.dsn_env)
            left.label = schema
            opened.append(left)
            right = PostgresWarehouse.connect(args.pg_other_schema, args.dsn_env)
            right.label = args.pg_other_schema
        opened.append(right)
    except (FileNotFoundError, WarehouseError) as error:
        for warehouse in opened:
            warehouse.close()
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        result = compare_warehouses(left, right, tolerance=args.tolerance)
    finally:
        for warehouse in opened:
            warehouse.close()
    print(result.report(args.max_examples))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
