"""Deterministic generator of a demo Moodle site.

The generator writes every table of the source contract
(:data:`early_warning.moodle_schema.TABLES`) as one Parquet or CSV file per
table, plus the generator's ground truth (``_truth/student_archetypes.csv``)
and a manifest (``_manifest.json``).

Design notes
------------
* **Determinism.** Nothing depends on the wall clock or on global random
  state. Every part of the site draws from its own generator,
  ``numpy.random.default_rng([seed, crc32(part), ...])``, so the same seed
  gives byte-identical files and adding a new part does not shift the others.
  The site's "current time" is ``now`` (default 2025-05-12 00:00:00 UTC); all
  course dates are placed relative to it and no timestamp exceeds it.
* **Time grid.** Course start dates are Monday 00:00 UTC. Course week ``n``
  (1-based) is ``[startdate + 7(n-1) days, startdate + 7n days)``; "week 0"
  is the week before the start. The log is generated window by window
  (one calendar week per window, aligned with course weeks) and streamed to
  disk, so the whole log is never held in memory.
* **Behaviour.** Every student enrolment has an archetype (``steady_high``,
  ``steady_low``, ``fading``, ``abrupt_stop``, ``comeback``,
  ``never_started``, ``late_enrolled``) that shapes a weekly intensity curve.
  Browsing sessions are drawn from that curve (Poisson per enrolment-week),
  assignment submissions, quiz attempts and feedback responses are decided
  per (activity, student) from the engagement at that week, and grades and
  completions follow from the submissions, so engagement correlates with the
  outcomes, with noise.

Data conventions (what the pipeline can rely on, and the traps it must handle)
-----------------------------------------------------------------------------
* Courses: id 1 is the frontpage (category 0, no students). Real courses are
  finished (``enddate < now``), running, one running with ``enddate = 0``, one
  starting after ``now`` (``visible = 0``, pre-enrolled students, no log rows)
  and one empty running course (a teacher, no students, no log rows). One
  course item has ``gradepass = 0`` (a completion-enabled finished course: its
  label must come from ``course_completions``, not from the grade).
* ``course_modules.section`` is a ``course_sections.id`` as in Moodle (not the
  section number); sections are consecutive per course, section 0 first, then
  one per week. Use ``assign.duedate``/``quiz.timeclose`` or ``added`` for time.
* Enrolments: ``timecreated <= timestart`` except ``timestart = 0`` (no start
  restriction, a few manual enrolments). Late enrolments start weeks after the
  course start; some enrolments end early (``timeend`` mid-course); a few are
  suspended (``status = 1``). Two users are ``deleted = 1`` but keep their
  enrolments and log rows; one user is ``suspended = 1``.
* Log: ids are 1..N in time order; ``relateduserid`` is NULL when not set;
  ``anonymous = 1`` only for ``\\mod_feedback\\event\\response_submitted``.
  Student rows exist before the course start, after the course end and after
  an enrolment ended (all to be filtered by the pipeline).
* Assignment outcomes: submitted on time (``status = 'submitted'``,
  ``timemodified <= duedate``), late (``timemodified > duedate``), missing
  (no row, or a ``'new'``/``'draft'`` row). Some teachers grade missing work
  with 0 (a ``grade_grades`` row with ``finalgrade = 0``); a few ``draft``
  submissions have a ``grade_grades`` row with NULL ``finalgrade``.
* Course totals (``grade_items.itemtype = 'course'``): finished courses have a
  row for every student (missing work counts 0), timemodified after the end;
  running courses show the average of the graded items so far.
* ``course_completions``: started completion-enabled courses only;
  ``timestarted = 0`` when the student never acted, ``timecompleted`` NULL
  when not completed.
* CSV files: NULL is an empty unquoted field, an empty string is ``""``
  (read with DuckDB's ``allow_quoted_nulls = false`` to keep them apart).
* Truth (``_truth/student_archetypes.csv``): ``dropout_week`` is the planned
  last course week (1-based) with activity for ``fading``/``abrupt_stop``,
  NULL otherwise. For running courses it may lie after ``now``.

Code layout (one module per stage; ``_Site`` composes the three stages)
----------------------------------------------------------------------
* :mod:`early_warning.demo.catalogue` -- what a site is made of: sizes,
  archetypes, Moodle reference data, the event catalogue, mixes, names.
* :mod:`early_warning.demo.planning` -- the site decided before anything is
  written: courses, people, enrolments, behaviour, activities, submissions,
  attempts (``_Planning``).
* :mod:`early_warning.demo.log` -- event chains and browsing sessions, streamed
  to the log window by window (``_LogWriting``).
* :mod:`early_warning.demo.tables` -- every other contract table, the ground
  truth and the file writers (``_TableWriting``).
* this module -- :func:`generate_site`: plan, write the log and the tables, the
  manifest.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv

from early_warning.demo.catalogue import ARCHETYPES, DEFAULT_NOW, SIZES, SiteSize
from early_warning.demo.log import _LogWriting
from early_warning.demo.planning import _Planning, _rng
from early_warning.demo.tables import _CSV_OPTIONS, _clean, _Output, _Reporter, _TableWriting
from early_warning.moodle_schema import TABLES

__all__ = ["ARCHETYPES", "DEFAULT_NOW", "SIZES", "SiteSize", "generate_site", "parse_now"]


def parse_now(value: str | int | None) -> int | None:
    """Parse a ``--now`` value: Unix seconds, ``YYYY-MM-DD`` or an ISO date-time (UTC)."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.UTC)
    return int(parsed.timestamp())


def _iso(t: int) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# The site
# ---------------------------------------------------------------------------


class _Site(_Planning, _LogWriting, _TableWriting):
    """The demo site: structure, behaviour and decisions, then the log and tables.

    Index conventions: ``c`` indexes the real courses (not the site course
    id 1), ``p`` indexes participants (one enrolment of a teacher or student
    in a course), ``person`` indexes users before ids are assigned.
    """

    def __init__(self, size: SiteSize, seed: int, now: int):
        self.size = size
        self.seed = seed
        self.now = int(now)

    def rng(self, *keys: str | int) -> np.random.Generator:
        return _rng(self.seed, *keys)

    # -- structure -----------------------------------------------------------


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def generate_site(
    out_dir: str | Path,
    size: str = "small",
    seed: int = 42,
    fmt: str = "parquet",
    now: int | str | None = None,
    progress: bool = True,
) -> dict:
    """Generate a deterministic demo Moodle site into ``out_dir``.

    Writes one file per contract table (``<table>.parquet``, or ``<table>.csv``
    with a header and empty fields for NULL), ``_truth/student_archetypes.csv``
    (courseid, userid, archetype, dropout_week) and ``_manifest.json``. Table
    files of a previous run in ``out_dir`` are removed first.

    Args:
        out_dir: output folder (created if missing).
        size: one of :data:`SIZES` (``tiny``, ``small``, ``medium``, ``large``, ``xlarge``).
        seed: non-negative integer; the same seed gives byte-identical files.
        fmt: ``"parquet"`` or ``"csv"``.
        now: the site's current time (Unix seconds or an ISO date); default
            :data:`DEFAULT_NOW` (2025-05-12 00:00:00 UTC). No row is later than it.
        progress: print progress lines to stderr.

    Returns:
        The manifest (seed, size, now, row counts per table, course ids by status).
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}; choose 'parquet' or 'csv'")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    now_ts = DEFAULT_NOW if now is None else parse_now(now)
    report = _Reporter(progress)
    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    _clean(out_path)
    report.line(f"generating a {size!r} demo site, seed {seed}, now {_iso(now_ts)} "
                f"-> {out_path}")  # fmt: skip

    site = _Site(SIZES[size], int(seed), now_ts)
    site.build()
    out = _Output(out_path, fmt, report)
    site.write_log(out, report)
    site.write_tables(out)

    truth_dir = out_path / "_truth"
    truth_dir.mkdir(exist_ok=True)
    truth = site.truth()
    pacsv.write_csv(truth, truth_dir / "student_archetypes.csv", _CSV_OPTIONS)

    kinds = {}
    for kind, cid in zip(site.c_kind, site.c_id.tolist(), strict=True):
        label = "no_enddate" if kind == "noend" else kind
        kinds.setdefault(label, []).append(cid)
    manifest = {
        "generator": "early_warning.demo",
        "seed": int(seed),
        "size": size,
        "size_parameters": asdict(SIZES[size]),
        "format": fmt,
        "now": now_ts,
        "now_utc": _iso(now_ts),
        "tables": {t: out.rows[t] for t in TABLES},
        "truth": {"student_archetypes": truth.num_rows},
        "courses": kinds,
    }
    (out_path / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    report.line(f"done: {len(TABLES)} tables, "
                f"{out.rows['logstore_standard_log']:,} log rows")  # fmt: skip
    return manifest
