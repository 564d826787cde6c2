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
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import sys
import time
import unicodedata
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from early_warning.moodle_schema import TABLES, TELEGRAM_CHAT_PREFERENCE

__all__ = ["ARCHETYPES", "DEFAULT_NOW", "SIZES", "SiteSize", "generate_site", "parse_now"]

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY
#: Default "current time" of the demo site: 2025-05-12 00:00:00 UTC (a Monday).
DEFAULT_NOW = 1_747_008_000
_INF = np.int64(2**62)


# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteSize:
    """Parameters of one demo site size.

    Every site also has one running course without an end date, one course
    that starts in the future (a few pre-enrolled students, no activity) and
    one empty running course (a teacher, no students, no logs), besides the
    ``finished_courses`` and ``running_courses`` counted here.
    """

    finished_courses: int
    running_courses: int
    course_weeks: tuple[int, int]  # min, max length in weeks
    students_per_course: int  # mean; each course varies by +-25 %
    future_students: int  # pre-enrolled students of the future course
    sessions_per_week: float  # browsing sessions of a fully engaged student
    events_per_session: float  # mean extra events per session (besides the first)
    teacher_sessions_per_week: float
    ai_actions: int  # rows of ai_action_register
    chunk_rows: int = 1_000_000  # log rows per Parquet row group / write


SIZES: dict[str, SiteSize] = {
    "tiny": SiteSize(2, 1, (8, 10), 15, 4, 3.2, 4.0, 2.0, 50),
    "small": SiteSize(4, 3, (8, 16), 75, 20, 7.0, 7.0, 3.0, 400),
    "medium": SiteSize(6, 5, (10, 16), 220, 40, 7.0, 7.0, 3.0, 800),
    "large": SiteSize(10, 8, (40, 40), 1580, 100, 1.6, 3.5, 4.0, 3000),
    "xlarge": SiteSize(24, 15, (40, 40), 2500, 200, 5.8, 6.5, 5.0, 10000),
}

ARCHETYPES = (
    "steady_high",
    "steady_low",
    "fading",
    "abrupt_stop",
    "comeback",
    "never_started",
    "late_enrolled",
)
_A_HIGH, _A_LOW, _A_FADE, _A_ABRUPT, _A_COMEBACK, _A_NEVER, _A_LATE = range(7)
_ARCHETYPE_SHARE = (0.28, 0.22, 0.15, 0.10, 0.10, 0.07, 0.08)


# ---------------------------------------------------------------------------
# Moodle reference data
# ---------------------------------------------------------------------------

_ROLES = [
    (1, "manager"),
    (2, "coursecreator"),
    (3, "editingteacher"),
    (4, "teacher"),
    (5, "student"),
    (6, "guest"),
    (7, "user"),
    (8, "frontpage"),
]
_R_MANAGER, _R_EDITING, _R_TEACHER, _R_STUDENT = 1, 3, 4, 5

_MODULE_NAMES = [
    "assign", "bigbluebuttonbn", "book", "choice", "data", "feedback", "folder", "forum",
    "glossary", "h5pactivity", "imscp", "label", "lesson", "lti", "page", "qbank", "quiz",
    "resource", "scorm", "subsection", "url", "wiki", "workshop",
]  # fmt: skip
_MOD = {name: i + 1 for i, name in enumerate(_MODULE_NAMES)}

_CATEGORIES = [
    (1, "Category 1", 0),
    (2, "Computer Science", 0),
    (3, "Mathematics", 0),
    (4, "Humanities and Languages", 0),
    (5, "Data Science", 2),
]
_CATALOG = {
    2: [("CS101", "Introduction to Programming"), ("CS102", "Data Structures and Algorithms"),
        ("CS201", "Databases"), ("CS202", "Web Development"), ("CS301", "Computer Networks")],
    3: [("MA101", "Calculus I"), ("MA102", "Linear Algebra"),
        ("MA201", "Probability and Statistics"), ("MA202", "Discrete Mathematics")],
    4: [("HU101", "Academic Writing"), ("HU102", "World History"),
        ("LN101", "English for Academic Purposes"), ("LN102", "Russian as a Foreign Language")],
    5: [("DS101", "Data Analysis with Python"), ("DS201", "Machine Learning Basics")],
}  # fmt: skip

# (eventname, component, action, target, crud, edulevel, contextlevel, anonymous)
_EVENTS: dict[str, tuple[str, str, str, str, str, int, int, int]] = {
    "loggedin": (r"\core\event\user_loggedin", "core", "loggedin", "user", "r", 0, 10, 0),
    "course_viewed": (r"\core\event\course_viewed", "core", "viewed", "course", "r", 2, 50, 0),
    "resource_viewed": (r"\mod_resource\event\course_module_viewed", "mod_resource", "viewed",
                        "course_module", "r", 2, 70, 0),
    "page_viewed": (r"\mod_page\event\course_module_viewed", "mod_page", "viewed",
                    "course_module", "r", 2, 70, 0),
    "url_viewed": (r"\mod_url\event\course_module_viewed", "mod_url", "viewed",
                   "course_module", "r", 2, 70, 0),
    "folder_viewed": (r"\mod_folder\event\course_module_viewed", "mod_folder", "viewed",
                      "course_module", "r", 2, 70, 0),
    "forum_viewed": (r"\mod_forum\event\course_module_viewed", "mod_forum", "viewed",
                     "course_module", "r", 2, 70, 0),
    "assign_viewed": (r"\mod_assign\event\course_module_viewed", "mod_assign", "viewed",
                      "course_module", "r", 2, 70, 0),
    "quiz_viewed": (r"\mod_quiz\event\course_module_viewed", "mod_quiz", "viewed",
                    "course_module", "r", 2, 70, 0),
    "feedback_viewed": (r"\mod_feedback\event\course_module_viewed", "mod_feedback", "viewed",
                        "course_module", "r", 2, 70, 0),
    "discussion_viewed": (r"\mod_forum\event\discussion_viewed", "mod_forum", "viewed",
                          "discussion", "r", 2, 70, 0),
    "post_created": (r"\mod_forum\event\post_created", "mod_forum", "created", "post",
                     "c", 2, 70, 0),
    "discussion_created": (r"\mod_forum\event\discussion_created", "mod_forum", "created",
                           "discussion", "c", 2, 70, 0),
    "status_viewed": (r"\mod_assign\event\submission_status_viewed", "mod_assign", "viewed",
                      "submission_status", "r", 2, 70, 0),
    "uploaded": (r"\assignsubmission_file\event\assessable_uploaded", "assignsubmission_file",
                 "uploaded", "assessable", "c", 2, 70, 0),
    "submitted": (r"\mod_assign\event\assessable_submitted", "mod_assign", "submitted",
                  "assessable", "u", 2, 70, 0),
    "assign_feedback_viewed": (r"\mod_assign\event\feedback_viewed", "mod_assign", "viewed",
                               "feedback", "r", 2, 70, 0),
    "attempt_started": (r"\mod_quiz\event\attempt_started", "mod_quiz", "started", "attempt",
                        "c", 2, 70, 0),
    "attempt_viewed": (r"\mod_quiz\event\attempt_viewed", "mod_quiz", "viewed", "attempt",
                       "r", 2, 70, 0),
    "attempt_submitted": (r"\mod_quiz\event\attempt_submitted", "mod_quiz", "submitted",
                          "attempt", "u", 2, 70, 0),
    "attempt_reviewed": (r"\mod_quiz\event\attempt_reviewed", "mod_quiz", "reviewed", "attempt",
                         "r", 2, 70, 0),
    "grade_report_viewed": (r"\gradereport_user\event\grade_report_viewed", "gradereport_user",
                            "viewed", "grade_report", "r", 2, 50, 0),
    "user_list_viewed": (r"\core\event\user_list_viewed", "core", "viewed", "user_list",
                         "r", 0, 50, 0),
    "response_submitted": (r"\mod_feedback\event\response_submitted", "mod_feedback",
                           "submitted", "response", "c", 2, 70, 1),
    "submission_graded": (r"\mod_assign\event\submission_graded", "mod_assign", "graded",
                          "submission", "u", 1, 70, 0),
    "user_graded": (r"\core\event\user_graded", "core", "graded", "user", "u", 1, 50, 0),
    "cm_updated": (r"\core\event\course_module_updated", "core", "updated", "course_module",
                   "u", 1, 70, 0),
    "cm_created": (r"\core\event\course_module_created", "core", "created", "course_module",
                   "c", 1, 70, 0),
    "grading_table_viewed": (r"\mod_assign\event\grading_table_viewed", "mod_assign", "viewed",
                             "grading_table", "r", 1, 70, 0),
    "grader_report_viewed": (r"\gradereport_grader\event\grade_report_viewed",
                             "gradereport_grader", "viewed", "grade_report", "r", 1, 50, 0),
}  # fmt: skip
_EV_KEYS = list(_EVENTS)
_K = {key: i for i, key in enumerate(_EV_KEYS)}
_EV_EDULEVEL = np.array([_EVENTS[k][5] for k in _EV_KEYS], dtype=np.int64)
_EV_LEVEL = np.array([_EVENTS[k][6] for k in _EV_KEYS], dtype=np.int64)
_EV_ANON = np.array([_EVENTS[k][7] for k in _EV_KEYS], dtype=np.int64)
_EV_STR = {
    col: pa.array([_EVENTS[k][i] for k in _EV_KEYS], type=pa.string())
    for i, col in enumerate(["eventname", "component", "action", "target", "crud"])
}
_ORIGINS = pa.array(["web", "ws", "cli"], type=pa.string())

# module type (modules.id) -> "course_module_viewed" event kind (-1: not viewable)
_VIEW_KIND = np.full(len(_MODULE_NAMES) + 1, -1, dtype=np.int64)
for _name, _key in [("resource", "resource_viewed"), ("page", "page_viewed"),
                    ("url", "url_viewed"), ("folder", "folder_viewed"),
                    ("forum", "forum_viewed"), ("assign", "assign_viewed"),
                    ("quiz", "quiz_viewed"), ("feedback", "feedback_viewed")]:  # fmt: skip
    _VIEW_KIND[_MOD[_name]] = _K[_key]

# Action classes of browsing sessions and their mix per role.
_C_COURSE, _C_MODVIEW, _C_GRADES, _C_DISC_VIEW, _C_POST, _C_DISC_NEW = range(6)
_C_USERLIST, _C_MODUPDATE, _C_GRADER = range(6, 9)
_MIX_STUDENT = np.array([0.09, 0.63, 0.05, 0.17, 0.03, 0.006, 0.014, 0.0, 0.0])
_MIX_TEACHER = np.array([0.20, 0.35, 0.00, 0.12, 0.05, 0.02, 0.08, 0.10, 0.08])
_CUM_STUDENT = np.cumsum(_MIX_STUDENT / _MIX_STUDENT.sum())
_CUM_TEACHER = np.cumsum(_MIX_TEACHER / _MIX_TEACHER.sum())
_CUM_STUDENT[-1] = _CUM_TEACHER[-1] = 1.0

# Local-time activity profile: Monday..Sunday and hour of day.
_DAY_P = np.array([1.0, 1.0, 0.95, 0.9, 0.75, 0.45, 0.6])
_DAY_P = _DAY_P / _DAY_P.sum()
_HOUR_P = np.array([0.5, 0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.5, 3.0, 5.0, 6.5, 7.0,
                    6.0, 6.0, 7.0, 7.0, 6.5, 6.0, 6.5, 7.5, 8.0, 7.0, 4.5, 2.0])  # fmt: skip
_HOUR_P = _HOUR_P / _HOUR_P.sum()

_EN_FIRST = ["Oliver", "Amelia", "Jack", "Isla", "Harry", "Ava", "George", "Emily", "Noah",
             "Sophia", "Leo", "Grace", "Oscar", "Mia", "Charlie", "Ella", "James", "Lily",
             "William", "Chloe", "Thomas", "Lucy", "Daniel", "Hannah", "Samuel", "Zoe",
             "Ethan", "Maya", "Lucas", "Anna", "Mohammed", "Priya", "Wei", "Aisha", "Carlos",
             "Sofia", "Liam", "Emma", "Mateo", "Nora"]  # fmt: skip
_EN_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Patel", "Wright", "Robinson", "Thompson", "Evans", "Walker", "White", "Roberts",
            "Green", "Hall", "Wood", "Jackson", "Clarke", "Khan", "Lewis", "Harris", "Martin",
            "Cooper", "King", "Lee", "Baker", "Garcia", "Müller", "Schmidt", "O'Brien",
            "Murphy", "Nguyen", "Chen", "Kowalski", "Rossi", "Dubois", "Novak"]  # fmt: skip
_RU_MALE = [("Александр", "Aleksandr"), ("Дмитрий", "Dmitry"), ("Максим", "Maksim"),
            ("Иван", "Ivan"), ("Артём", "Artyom"), ("Никита", "Nikita"), ("Михаил", "Mikhail"),
            ("Егор", "Egor"), ("Андрей", "Andrey"), ("Алексей", "Aleksey"),
            ("Сергей", "Sergey"), ("Кирилл", "Kirill")]  # fmt: skip
_RU_FEMALE = [("Анна", "Anna"), ("Мария", "Maria"), ("Елена", "Elena"), ("Дарья", "Darya"),
              ("Алина", "Alina"), ("Ирина", "Irina"), ("Екатерина", "Ekaterina"),
              ("Полина", "Polina"), ("Ольга", "Olga"), ("Наталья", "Natalya"),
              ("Софья", "Sofya"), ("Виктория", "Viktoria")]  # fmt: skip
_RU_LAST = [("Иванов", "Ivanov"), ("Смирнов", "Smirnov"), ("Кузнецов", "Kuznetsov"),
            ("Попов", "Popov"), ("Васильев", "Vasilyev"), ("Петров", "Petrov"),
            ("Соколов", "Sokolov"), ("Михайлов", "Mikhailov"), ("Новиков", "Novikov"),
            ("Фёдоров", "Fedorov"), ("Морозов", "Morozov"), ("Волков", "Volkov"),
            ("Алексеев", "Alekseev"), ("Лебедев", "Lebedev"), ("Семёнов", "Semenov"),
            ("Егоров", "Egorov"), ("Павлов", "Pavlov"), ("Козлов", "Kozlov")]  # fmt: skip
_EN_PLACES = [("London", "GB", 0), ("Manchester", "GB", 0), ("Edinburgh", "GB", 0),
              ("New York", "US", -5), ("Boston", "US", -5), ("Berlin", "DE", 1),
              ("Dublin", "IE", 0), ("Toronto", "CA", -5), ("Bangalore", "IN", 5)]  # fmt: skip
_RU_PLACES = [("Москва", "RU", 3), ("Санкт-Петербург", "RU", 3), ("Новосибирск", "RU", 7),
              ("Казань", "RU", 3), ("Алматы", "KZ", 5), ("Минск", "BY", 3)]  # fmt: skip
_DEPARTMENTS = ["Computer Science", "Mathematics", "Humanities", "Languages", "Data Science"]

_AI_ERRORS = {
    403: "Access denied: the API key is not valid for this resource.",
    404: "The requested model was not found.",
    429: "Rate limit reached for requests. Please try again later.",
    500: "The server had an error while processing your request.",
}


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _rng(seed: int, *keys: str | int) -> np.random.Generator:
    """A child generator keyed by (seed, *keys); independent of call order."""
    entropy = [seed] + [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return np.random.default_rng(entropy)


def _monday(t: int) -> int:
    """Monday 00:00 UTC of the week that contains Unix time ``t``."""
    d = t // DAY
    return int((d - (d + 3) % 7) * DAY)  # 1970-01-01 was a Thursday


def _quota(n: int, shares: tuple[float, ...]) -> np.ndarray:
    """Integer counts that sum to ``n`` (largest-remainder rounding)."""
    raw = np.asarray(shares) * n
    cnt = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - cnt), kind="stable")
    cnt[order[: n - int(cnt.sum())]] += 1
    return cnt


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _nint(values, null=None) -> pa.Array:
    """A nullable int64 Arrow array; ``null`` is a boolean mask of NULLs."""
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=null)


def _nfloat(values, null=None) -> pa.Array:
    """A nullable float64 Arrow array; ``null`` is a boolean mask of NULLs."""
    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64(), mask=null)


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
# Event batches (compact log rows before they become Arrow)
# ---------------------------------------------------------------------------

_EV_FIELDS = {
    "t": np.int64,  # timecreated
    "kind": np.int64,  # index into _EVENTS
    "user": np.int64,  # userid
    "course": np.int64,  # course index (-1: site level)
    "cm": np.int64,  # course module index (-1: none)
    "related": np.int64,  # relateduserid (-1: NULL)
    "origin": np.int64,  # 0 web, 1 ws, 2 cli
    "pidx": np.int64,  # enrolment (participant) index of the acting user (-1: none)
}


def _ev_empty() -> dict[str, np.ndarray]:
    return {k: np.empty(0, dtype=d) for k, d in _EV_FIELDS.items()}


def _ev_concat(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    batches = [b for b in batches if b["t"].size]
    if not batches:
        return _ev_empty()
    if len(batches) == 1:
        return batches[0]
    return {k: np.concatenate([b[k] for b in batches]) for k in _EV_FIELDS}


def _ev_take(ev: dict[str, np.ndarray], idx) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in ev.items()}


def _ev_make(n: int, **cols) -> dict[str, np.ndarray]:
    out = {}
    for k in _EV_FIELDS:
        v = cols.get(k, -1 if k in ("course", "cm", "related", "pidx") else 0)
        out[k] = np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)).copy()
    return out


@dataclass
class _Slot:
    """One event of a chain: its kind and time (-1: absent) plus optional overrides."""

    kind: int
    t: np.ndarray
    user: np.ndarray | None = None  # default: the chain's user
    related: np.ndarray | None = None  # default: NULL
    course_level: bool = False  # True: cm = -1
    student_activity: bool = True  # False: pidx = -1


class _ChainSource:
    """Structured events (submissions, attempts, ...) emitted window by window.

    ``base`` holds per-chain arrays (user, course, cm, pidx, origin); each slot
    gives one event per chain at ``slot.t`` (or none where ``t < 0``). Chains are
    bucketed by the window of their earliest event, so all of a chain's events
    are generated in that window (later ones wait in the pending buffer).
    """

    def __init__(self, name: str, base: dict[str, np.ndarray], slots: list[_Slot],
                 t0: int, now: int):  # fmt: skip
        for s in slots:
            s.t = np.where(s.t > now, -1, s.t)
        times = np.stack([s.t for s in slots])
        present = times >= 0
        first = np.where(present, times, _INF).min(axis=0)
        keep = present.any(axis=0)
        if keep.any() and first[keep].min() < t0:
            raise AssertionError(f"{name}: an event before the first log window")
        bucket = np.where(keep, (first - t0) // WEEK, -1)
        order = np.argsort(bucket, kind="stable")
        order = order[keep[order]]
        self.name = name
        self.base = {k: v[order] for k, v in base.items()}
        self.slots = slots
        for s in slots:
            s.t = s.t[order]
            if s.user is not None:
                s.user = s.user[order]
            if s.related is not None:
                s.related = s.related[order]
        self.bucket = bucket[order]

    def events(self, window: int) -> dict[str, np.ndarray]:
        lo, hi = np.searchsorted(self.bucket, [window, window + 1])
        if lo == hi:
            return _ev_empty()
        b = {k: v[lo:hi] for k, v in self.base.items()}
        out = []
        for s in self.slots:
            t = s.t[lo:hi]
            m = t >= 0
            if not m.any():
                continue
            n = int(m.sum())
            out.append(_ev_make(
                n, t=t[m], kind=s.kind,
                user=(s.user[lo:hi] if s.user is not None else b["user"])[m],
                course=b["course"][m],
                cm=-1 if s.course_level else b["cm"][m],
                related=s.related[lo:hi][m] if s.related is not None else -1,
                origin=b["origin"][m],
                pidx=b["pidx"][m] if s.student_activity else -1,
            ))  # fmt: skip
        return _ev_concat(out)


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

_ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}


def _schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(n, _ARROW_TYPES[t]) for n, t in TABLES[table]])


def _to_arrow(values, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    if isinstance(values, np.ndarray) and values.dtype != object:
        return pa.array(values, type=typ)
    return pa.array(list(values), type=typ)


class _Reporter:
    """Progress lines on stderr."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def line(self, text: str) -> None:
        if self.enabled:
            print(f"[demo {self.elapsed():7.2f}s] {text}", file=sys.stderr, flush=True)


class _Output:
    """Writes contract tables as Parquet or CSV files (atomically, via a temp file)."""

    def __init__(self, out_dir: Path, fmt: str, report: _Reporter):
        self.dir = out_dir
        self.fmt = fmt
        self.report = report
        self.rows: dict[str, int] = {}

    def path(self, table: str) -> Path:
        return self.dir / f"{table}.{self.fmt}"

    def _table(self, table: str, cols: dict) -> pa.Table:
        names = [n for n, _ in TABLES[table]]
        if set(cols) != set(names):
            raise AssertionError(f"{table}: columns {sorted(cols)} != contract {sorted(names)}")
        arrays = [_to_arrow(cols[n], _ARROW_TYPES[t]) for n, t in TABLES[table]]
        return pa.Table.from_arrays(arrays, schema=_schema(table))

    def write(self, table: str, cols: dict) -> int:
        tab = self._table(table, cols)
        path = self.path(table)
        tmp = path.with_name(path.name + ".tmp")
        if self.fmt == "parquet":
            pq.write_table(tab, tmp, compression="zstd")
        else:
            pacsv.write_csv(tab, tmp, _CSV_OPTIONS)
        tmp.replace(path)
        self.rows[table] = tab.num_rows
        self.report.line(f"{table:<28} {tab.num_rows:>12,} rows")
        return tab.num_rows

    def stream(self, table: str) -> _Stream:
        return _Stream(self, table)


_CSV_OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed")


class _Stream:
    """Incremental writer of one large table (the log)."""

    def __init__(self, out: _Output, table: str):
        self.out = out
        self.table = table
        self.path = out.path(table)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        schema = _schema(table)
        if out.fmt == "parquet":
            self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        else:
            self.writer = pacsv.CSVWriter(self.tmp, schema, write_options=_CSV_OPTIONS)
        self.rows = 0

    def write(self, cols: dict) -> None:
        tab = self.out._table(self.table, cols)
        self.writer.write_table(tab)
        self.rows += tab.num_rows

    def close(self) -> int:
        self.writer.close()
        self.tmp.replace(self.path)
        self.out.rows[self.table] = self.rows
        self.out.report.line(f"{self.table:<28} {self.rows:>12,} rows")
        return self.rows


def _clean(out_dir: Path) -> None:
    """Remove table files of a previous run (both formats), truth and manifest."""
    for table in TABLES:
        for ext in ("parquet", "csv"):
            for p in (out_dir / f"{table}.{ext}", out_dir / f"{table}.{ext}.tmp"):
                p.unlink(missing_ok=True)
    (out_dir / "_truth" / "student_archetypes.csv").unlink(missing_ok=True)
    (out_dir / "_manifest.json").unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# The site
# ---------------------------------------------------------------------------


class _Site:
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

    def build(self) -> None:
        self._plan_courses()
        self._plan_people()
        self._plan_enrolments()
        self._plan_behaviour()
        self._plan_modules()
        self._plan_window_grid()
        self._decide_assignments()
        self._decide_quizzes()
        self._decide_feedback()

    def _plan_courses(self) -> None:
        rng = self.rng("courses")
        sz, mon = self.size, _monday(self.now)
        wmin, wmax = sz.course_weeks
        specs = []  # (kind, start, end, weeks)
        for _ in range(sz.finished_courses):
            w = int(rng.integers(wmin, wmax + 1))
            gap = int(rng.integers(1, max(4, 52 - w) + 1))
            end = mon - gap * WEEK
            specs.append(("finished", end - w * WEEK, end, w))
        for _ in range(sz.running_courses):
            w = int(rng.integers(wmin, wmax + 1))
            cw = int(rng.integers(math.ceil(0.35 * w), int(0.8 * w) + 1))
            specs.append(("running", mon - cw * WEEK, mon + (w - cw) * WEEK, w))
        cw = int(rng.integers(math.ceil(0.4 * wmax), int(0.75 * wmax) + 1))
        specs.append(("noend", mon - cw * WEEK, 0, wmax))
        specs.append(("future", mon + 3 * WEEK, mon + (3 + wmin) * WEEK, wmin))
        specs.append(("empty", mon - 3 * WEEK, mon + (wmin - 3) * WEEK, wmin))
        rank = {"finished": 0, "running": 1, "noend": 2, "empty": 3, "future": 4}
        specs.sort(key=lambda s: (s[1], rank[s[0]]))

        C = len(specs)
        self.C = C
        self.c_kind = [s[0] for s in specs]
        self.c_id = np.arange(2, C + 2, dtype=np.int64)
        self.c_start = np.array([s[1] for s in specs], dtype=np.int64)
        self.c_end = np.array([s[2] for s in specs], dtype=np.int64)
        self.c_weeks = np.array([s[3] for s in specs], dtype=np.int64)
        self.c_active = np.array([k in ("finished", "running", "noend") for k in self.c_kind])
        self.c_finished = np.array([k == "finished" for k in self.c_kind])
        # current course week number at `now` (1-based; W for finished courses)
        cw = (self.now - self.c_start) // WEEK + 1
        self.c_curweek = np.where(self.c_finished, self.c_weeks, np.clip(cw, 0, None))

        # names and categories
        n_named = sum(k != "empty" for k in self.c_kind)
        cats = [2, 3, 4] if n_named <= 12 else [2, 3, 4, 5]
        queues = {cat: list(rng.permutation(len(_CATALOG[cat]))) for cat in cats}
        used: dict[str, int] = {}
        self.c_category = np.zeros(C, dtype=np.int64)
        self.c_fullname, self.c_shortname = [], []
        i_named = 0
        for c in range(C):
            if self.c_kind[c] == "empty":
                self.c_category[c] = 1
                self.c_fullname.append("Teaching sandbox")
                self.c_shortname.append("SANDBOX")
                continue
            cat = cats[i_named % len(cats)]
            i_named += 1
            q = queues[cat]
            code, name = _CATALOG[cat][q[0]]
            q.append(q.pop(0))
            start = _dt.datetime.fromtimestamp(int(self.c_start[c]), tz=_dt.UTC)
            term = "Spring" if start.month <= 5 else "Summer" if start.month <= 8 else "Autumn"
            short = f"{code}-{start.year % 100:02d}{term[0]}"
            used[short] = used.get(short, 0) + 1
            if used[short] > 1:
                short = f"{short}{used[short]}"
            self.c_category[c] = cat
            self.c_fullname.append(f"{name} ({term} {start.year})")
            self.c_shortname.append(short)

        # completion tracking, pass grades, teachers' habits
        self.c_completion = np.zeros(C, dtype=np.int64)
        n_fin = n_run = 0
        for c, kind in enumerate(self.c_kind):
            if kind == "finished":
                self.c_completion[c] = 1 if n_fin % 2 == 0 else 0
                n_fin += 1
            elif kind == "running":
                self.c_completion[c] = 1 if n_run % 2 == 0 else 0
                n_run += 1
            elif kind == "future":
                self.c_completion[c] = 1
        self.c_gradepass = np.full(C, 50.0)
        fin_compl = [c for c in range(C) if self.c_finished[c] and self.c_completion[c]]
        # one course without a pass grade (gradepass 0): completion comes from criteria only
        self.c_gradepass[(fin_compl or [int(np.flatnonzero(self.c_finished)[0])])[-1]] = 0.0
        self.c_visible = np.array([0 if k == "future" else 1 for k in self.c_kind])
        self.c_zero_missing = rng.random(C) < 0.35
        self.c_feedback = (rng.random(C) < 0.6) & self.c_active
        self.c_feedback[np.flatnonzero(self.c_active)[0]] = True
        self.c_assign_every = rng.choice([1, 2], C)
        self.c_quiz_every = rng.choice([2, 3], C)
        self.c_due_shift = rng.choice([0, 2 * DAY], C)  # Sunday or Friday 23:59 deadlines
        self.c_self_enrol = rng.random(C) < 0.5
        self.c_popularity = rng.uniform(0.8, 1.2, C)

    def _plan_people(self) -> None:
        rng = self.rng("people")
        sz, C = self.size, self.C
        n_st = np.zeros(C, dtype=np.int64)
        for c, kind in enumerate(self.c_kind):
            if self.c_active[c]:
                n_st[c] = max(4, round(sz.students_per_course * rng.uniform(0.75, 1.25)))
            elif kind == "future":
                n_st[c] = sz.future_students
        pool = max(math.ceil(n_st.sum() / 1.45), int(n_st.max()))
        weight = rng.gamma(2.0, 1.0, pool)
        weight /= weight.sum()
        members = [np.sort(rng.choice(pool, int(n), replace=False, p=weight)) for n in n_st]
        # keep the enrolled students plus a few accounts that never enrolled anywhere
        used = np.unique(np.concatenate(members))
        unused = np.setdiff1d(np.arange(pool), used)
        extra = rng.permutation(unused)[: max(2, int(0.03 * used.size))]
        kept = np.sort(np.concatenate([used, extra]))
        members = [np.searchsorted(kept, m) for m in members]
        pool = kept.size

        n_teach = max(2, math.ceil(C * 0.6))
        self.n_teachers = n_teach
        first_student = 3 + n_teach  # persons: 0 guest, 1 admin, 2 manager, teachers, students
        editing = rng.integers(0, n_teach, C)
        second = np.where(rng.random(C) < 0.5, (editing + 1 + rng.integers(0, n_teach - 1, C))
                          % n_teach, -1)  # fmt: skip

        p_course, p_person, p_role = [], [], []
        for c in range(C):
            p_course.append(c)
            p_person.append(3 + editing[c])
            p_role.append(_R_EDITING)
            if second[c] >= 0:
                p_course.append(c)
                p_person.append(3 + second[c])
                p_role.append(_R_TEACHER)
            p_course.extend([c] * len(members[c]))
            p_person.extend((first_student + members[c]).tolist())
            p_role.extend([_R_STUDENT] * len(members[c]))
        self.P = len(p_course)
        self.p_course = np.array(p_course, dtype=np.int64)
        self.p_person = np.array(p_person, dtype=np.int64)
        self.p_role = np.array(p_role, dtype=np.int64)
        self.p_student = self.p_role == _R_STUDENT
        self.c_teacher_person = 3 + editing  # the grader of each course

        # archetypes: quota per course, shuffled
        arch = np.full(self.P, -1, dtype=np.int64)
        for c in range(C):
            idx = np.flatnonzero((self.p_course == c) & self.p_student)
            if not idx.size:
                continue
            if self.c_active[c]:
                a = np.repeat(np.arange(7), _quota(idx.size, _ARCHETYPE_SHARE))
                arch[idx] = rng.permutation(a)
            else:
                arch[idx] = _A_NEVER

        # persons
        n_persons = first_student + pool
        self.n_persons = n_persons
        self.first_student = first_student
        ru = rng.random(n_persons) < 0.3
        ru[:3] = False
        self.person_ru = ru
        self.person_ws = np.clip(rng.beta(1.5, 9.0, n_persons), 0, 0.6)  # mobile-app share
        self.person_ws[:first_student] *= 0.3

        # special users: two deleted students, one suspended student
        act_p = self.p_student & self.c_active[self.p_course]
        cands = np.unique(self.p_person[act_p])
        chosen = rng.choice(cands, 3, replace=False)
        self.deleted_persons = np.sort(chosen[:2])
        self.suspended_person = int(chosen[2])
        forced = act_p & (self.p_person == self.suspended_person)
        arch[forced] = _A_ABRUPT
        self.p_arch = arch

    def _plan_enrolments(self) -> None:
        rng = self.rng("enrolments")
        P, now = self.P, self.now
        c = self.p_course
        S, W = self.c_start[c], self.c_weeks[c]
        cw = self.c_curweek[c]
        student = self.p_student
        arch = self.p_arch

        # enrol instances per course: manual (enabled), guest (disabled), self
        self.e_id = np.arange(1, 3 * self.C + 1, dtype=np.int64)
        self.e_course = np.repeat(np.arange(self.C), 3)
        self.e_method = np.tile(np.array(["manual", "guest", "self"], dtype=object), self.C)
        self.e_status = np.tile(np.array([0, 1, 0]), self.C)
        self.e_status[2::3] = np.where(self.c_self_enrol, 0, 1)

        selfm = student & self.c_self_enrol[c] & (rng.random(P) < 0.35)
        self.p_enrolid = np.where(selfm, self.e_id[3 * c + 2], self.e_id[3 * c])

        r = rng.random((4, P))
        created_manual = S - rng.integers(DAY, 21 * DAY, P)
        created_self = S - rng.integers(0, 14 * DAY, P)
        tcreated = np.where(selfm, created_self, created_manual)
        # manual: from the course start, or from the moment of enrolment ("today")
        tstart = np.where(selfm | (r[0] >= 0.6), tcreated, S)
        tstart = np.where(~selfm & (r[1] < 0.03), 0, tstart)  # 0: no start restriction

        # late enrolments: during week L (2..4), never after the current week
        late_week = np.minimum(rng.integers(2, 5, P), np.maximum(2, np.where(
            self.c_finished[c], W // 3, cw - 1)))  # fmt: skip
        late_t = S + (late_week - 1) * WEEK + rng.integers(0, 5 * DAY, P) + rng.integers(
            9 * HOUR, 20 * HOUR, P)  # fmt: skip
        is_late = arch == _A_LATE
        tstart = np.where(is_late, late_t, tstart)
        tcreated = np.where(is_late, late_t - np.where(selfm, 0, rng.integers(0, 2 * HOUR, P)),
                            tcreated)  # fmt: skip

        # future course: pre-enrolled recently
        fut = np.array([k == "future" for k in self.c_kind])[c]
        tcreated = np.where(fut & student, now - rng.integers(DAY, 14 * DAY, P), tcreated)
        tstart = np.where(fut & student, S, tstart)
        # teachers: enrolled well before the start (never after now)
        t_teacher = np.minimum(S - rng.integers(20 * DAY, 40 * DAY, P), now - rng.integers(
            HOUR, 5 * DAY, P))  # fmt: skip
        tcreated = np.where(student, tcreated, t_teacher)
        tstart = np.where(student, tstart, t_teacher)
        if np.any((tstart > 0) & (tstart < tcreated)) or np.any(tcreated > now):
            raise AssertionError("enrolment times out of order")

        self.p_tcreated = tcreated.astype(np.int64)
        self.p_tstart = tstart.astype(np.int64)
        self.p_late_week = np.where(is_late, late_week, 0)
        self.p_tend = np.zeros(P, dtype=np.int64)
        self.p_status = np.zeros(P, dtype=np.int64)

    def _plan_behaviour(self) -> None:
        rng = self.rng("behaviour")
        P, C = self.P, self.C
        c = self.p_course
        W = self.c_weeks[c]
        cw = self.c_curweek[c]
        fin = self.c_finished[c]
        arch = self.p_arch
        student = self.p_student

        # base engagement and ability
        noise = rng.normal(0.0, 1.0, P)
        base = np.select(
            [arch == _A_HIGH, arch == _A_LOW, arch == _A_LATE, arch == _A_NEVER, ~student],
            [1.0 * np.exp(0.2 * noise), 0.3 * np.exp(0.25 * noise), 0.7 * np.exp(0.3 * noise),
             0.0 * noise, 1.0 + 0.0 * noise],
            0.75 * np.exp(0.25 * noise),
        )  # fmt: skip
        self.p_b = np.where(student, base, 1.0)
        b1 = np.minimum(self.p_b, 1.0)
        self.p_ability = np.clip(0.35 + 0.45 * b1 + rng.normal(0, 0.1, P), 0.05, 0.98)
        self.p_lateness = np.exp(rng.normal(0, 0.35, P))

        # dropout week d (last week with activity), fade length, comeback gap, ...
        hi_fade = np.where(fin, (0.75 * W).astype(np.int64), np.minimum((0.75 * W), cw + 2))
        hi_fade = np.maximum(hi_fade.astype(np.int64), 3)
        d_fade = 3 + (rng.random(P) * (hi_fade - 2)).astype(np.int64)
        fade_len = np.minimum(rng.integers(3, 6, P), d_fade - 1)
        hi_abr = np.where(fin, (0.8 * W).astype(np.int64), np.minimum((0.8 * W).astype(np.int64),
                                                                     cw))  # fmt: skip
        hi_abr = np.maximum(hi_abr, 2)
        d_abr = 2 + (rng.random(P) * (hi_abr - 1)).astype(np.int64)
        gap_len = rng.integers(2, 4, P)
        hi_gap = np.where(fin, W - gap_len - 1, np.maximum(3, cw - 1))
        hi_gap = np.maximum(hi_gap, 2)
        gap_at = 2 + (rng.random(P) * (hi_gap - 1)).astype(np.int64)
        drop = np.select([arch == _A_FADE, arch == _A_ABRUPT], [d_fade, d_abr], 0)
        self.p_drop = drop.astype(np.int64)

        # weekly activity curve M[p, n], n = course week number (0 = week before start)
        wmax = int(self.c_weeks.max())
        self.wcols = wmax + 3
        n = np.arange(self.wcols)[None, :]
        Wc = W[:, None]
        shape = np.where(
            n == 0,
            0.12,
            np.where(
                n <= Wc,
                1.0 - 0.2 * (n - 1) / Wc,
                np.where(n == Wc + 1, 0.15, np.where(n == Wc + 2, 0.07, 0.0)),
            ),
        )
        d = drop[:, None]
        fl = fade_len[:, None]
        fading = np.where(n <= d - fl, 1.0, np.where(n <= d, 1.0 - 0.8 * (n - (d - fl)) / fl,
                                                     0.0))  # fmt: skip
        abrupt = (n <= d).astype(float)
        g, q = gap_at[:, None], gap_len[:, None]
        comeback = np.where((n >= g) & (n < g + q), 0.0, np.where(n >= g + q, 0.85, 1.0))
        late = (n >= self.p_late_week[:, None]).astype(float)
        a = arch[:, None]
        f = np.select(
            [a == _A_FADE, a == _A_ABRUPT, a == _A_COMEBACK, a == _A_NEVER, a == _A_LATE],
            [fading, abrupt, comeback, 0.0 * fading, late],
            1.0,
        )
        teacher_curve = (n <= Wc + 2).astype(float)
        M = np.where(student[:, None], shape * f, teacher_curve)
        M = M * self.c_active[c][:, None]
        self.M = M.astype(np.float32)

        # course rhythm R[c, n]: deadlines, a reading week, the final rush
        R = np.ones((C, self.wcols))
        for ci in range(C):
            w = int(self.c_weeks[ci])
            rw = int(rng.integers(max(2, w // 3), max(3, 2 * w // 3) + 1))
            R[ci, rw] *= 0.5
            R[ci, w] *= 1.2
            R[ci] *= self.c_popularity[ci]
        self.R = R.astype(np.float32)

        # early-ended enrolments (teacher unenrols an inactive student) and suspended ones
        S = self.c_start[c]
        end = self.c_end[c]
        tend = S + drop * WEEK + rng.integers(1, 15, P) * DAY + rng.integers(8, 18, P) * HOUR
        cand = ((arch == _A_FADE) | (arch == _A_ABRUPT)) & (tend < self.now - HOUR) & (
            (end == 0) | (tend < end))  # fmt: skip
        ended = cand & (rng.random(P) < 0.35)
        if cand.any() and not ended.any():
            ended[np.flatnonzero(cand)[0]] = True
        self.p_tend = np.where(ended, tend, 0).astype(np.int64)
        scand = (arch == _A_ABRUPT) & ~ended & (drop < self.c_curweek[c])
        susp = scand & (rng.random(P) < 0.15)
        if scand.any() and not susp.any():
            susp[np.flatnonzero(scand)[-1]] = True
        self.p_status = susp.astype(np.int64)

        # when the participant may act in the course
        self.p_astart = np.where(self.p_tstart > 0, self.p_tstart, self.p_tcreated)
        self.p_aend = np.where(self.p_tend > 0, self.p_tend, _INF).astype(np.int64)
        self.p_rate = np.where(student, self.size.sessions_per_week * self.p_b,
                               self.size.teacher_sessions_per_week)  # fmt: skip
        self.p_eps = np.where(student, self.size.events_per_session * (0.6 + 0.4 * b1),
                              self.size.events_per_session * 1.2)  # fmt: skip

        # user ids: guest 1, admin 2, then by account creation time
        self._assign_user_ids(rng)

    def _assign_user_ids(self, rng: np.random.Generator) -> None:
        n = self.n_persons
        install = int(self.c_start.min()) - 400 * DAY
        created = np.full(n, install, dtype=np.int64)
        created[2] = install + DAY
        created[3 : self.first_student] = install + rng.integers(2 * DAY, 60 * DAY,
                                                                 self.n_teachers)  # fmt: skip
        first_enrol = np.full(n, _INF)
        np.minimum.at(first_enrol, self.p_person, self.p_tcreated)
        st = np.arange(self.first_student, n)
        lead = rng.integers(HOUR, 60 * DAY, st.size)
        fe = first_enrol[st]
        never = fe == _INF
        rand_t = install + (rng.random(st.size) * (self.now - install)).astype(np.int64)
        created[st] = np.where(never, rand_t, np.maximum(fe - lead, install + 3 * DAY))
        created = np.minimum(created, self.now - HOUR)
        order = np.lexsort((np.arange(n), created))
        order = np.concatenate([[0, 1], order[~np.isin(order, [0, 1])]])
        uid = np.empty(n, dtype=np.int64)
        uid[order] = np.arange(1, n + 1)
        self.person_uid = uid
        self.person_created = created
        self.p_user = uid[self.p_person]
        self.install_time = install

    def _plan_modules(self) -> None:
        rng = self.rng("modules")
        C, now = self.C, self.now
        cm_course, cm_type, cm_sec, cm_vis, cm_added, cm_inst, cm_ctx, cm_secid = (
            [], [], [], [], [], [], [], [])  # fmt: skip
        inst_count = {m: 0 for m in _MOD}
        assigns, quizzes, feedbacks = [], [], []
        # context ids: 1 system, 2 frontpage, categories, then each course and its modules
        ctx_rows = [(1, 10, 0), (2, 50, 1)]
        for cat_id, _, _ in _CATEGORIES:
            ctx_rows.append((len(ctx_rows) + 1, 40, cat_id))
        self.c_ctx = np.zeros(C, dtype=np.int64)
        sec_id = 1  # course_sections ids; 1 = frontpage section 0

        def add(c, mod, s, visible, added, sid):
            inst_count[mod] += 1
            cm_course.append(c)
            cm_type.append(_MOD[mod])
            cm_sec.append(s)
            cm_vis.append(visible)
            cm_added.append(min(int(added), now - HOUR))
            cm_inst.append(inst_count[mod])
            cm_secid.append(sid)
            ctx_rows.append((len(ctx_rows) + 1, 70, -1))  # instanceid filled below
            cm_ctx.append(len(ctx_rows))
            return len(cm_course) - 1

        # frontpage: site announcements forum
        add(-1, "forum", 0, 1, self.install_time + HOUR, sec_id)
        for c in range(C):
            ctx_rows.append((len(ctx_rows) + 1, 50, int(self.c_id[c])))
            self.c_ctx[c] = len(ctx_rows)
            S, W = int(self.c_start[c]), int(self.c_weeks[c])
            sec_base = sec_id + 1
            sec_id += W + 1

            def prepared(r=rng, S=S):
                return S - int(r.integers(8 * DAY, 30 * DAY))

            add(c, "forum", 0, 1, prepared(), sec_base)  # announcements
            add(c, "page", 0, 1, prepared(), sec_base)  # course guide
            if rng.random() < 0.5:
                add(c, "forum", 0, 1, prepared(), sec_base)  # Q&A forum
            fb_sec = math.ceil(W / 2) if self.c_feedback[c] else -1
            for s in range(1, W + 1):
                sid = sec_base + s
                early = s <= 2 or rng.random() < 0.7
                when = prepared() if early else S + (s - 1) * WEEK - int(
                    rng.integers(DAY, 5 * DAY))  # fmt: skip
                for _ in range(1 + int(rng.binomial(2, 0.5))):
                    add(c, "resource", s, int(rng.random() > 0.04), when, sid)
                if rng.random() < 0.5:
                    add(c, "page", s, int(rng.random() > 0.04), when, sid)
                if rng.random() < 0.35:
                    add(c, "url", s, int(rng.random() > 0.04), when, sid)
                if rng.random() < 0.1:
                    add(c, "folder", s, 1, when, sid)
                if rng.random() < 0.3:
                    add(c, "label", s, 1, when, sid)
                if rng.random() < 0.25:
                    add(c, "forum", s, 1, when, sid)
                if s % int(self.c_assign_every[c]) == 0 or s == 1:
                    assigns.append((add(c, "assign", s, 1, when, sid), s))
                if s % int(self.c_quiz_every[c]) == 0 or s == W:
                    quizzes.append((add(c, "quiz", s, 1, when, sid), s))
                if s == fb_sec:
                    feedbacks.append(add(c, "feedback", s, 1, when, sid))

        self.cm_course = np.array(cm_course, dtype=np.int64)
        self.cm_type = np.array(cm_type, dtype=np.int64)
        self.cm_sec = np.array(cm_sec, dtype=np.int64)
        self.cm_visible = np.array(cm_vis, dtype=np.int64)
        self.cm_added = np.array(cm_added, dtype=np.int64)
        self.cm_inst = np.array(cm_inst, dtype=np.int64)
        self.cm_ctx = np.array(cm_ctx, dtype=np.int64)
        self.cm_secid = np.array(cm_secid, dtype=np.int64)
        self.cm_id = np.arange(1, len(cm_course) + 1, dtype=np.int64)
        ctx = np.array(ctx_rows, dtype=np.int64)
        ctx[self.cm_ctx - 1, 2] = self.cm_id
        self.ctx = ctx

        # assignments
        a_cm = np.array([a for a, _ in assigns], dtype=np.int64)
        a_sec = np.array([s for _, s in assigns], dtype=np.int64)
        ac = self.cm_course[a_cm]
        sec_end = self.c_start[ac] + a_sec * WEEK
        due = sec_end - self.c_due_shift[ac] - 60
        no_due = rng.random(a_cm.size) < 0.1
        due = np.where(no_due, 0, due)
        cut = np.where((rng.random(a_cm.size) < 0.5) & ~no_due, due + 7 * DAY, 0)
        self.a_cm, self.a_sec, self.a_course = a_cm, a_sec, ac
        self.a_due, self.a_cut = due.astype(np.int64), cut.astype(np.int64)
        self.a_grademax = np.where(rng.random(a_cm.size) < 0.8, 100.0, 10.0)
        self.a_gradepass = np.where(rng.random(a_cm.size) < 0.4, 0.5 * self.a_grademax, 0.0)

        # quizzes
        q_cm = np.array([q for q, _ in quizzes], dtype=np.int64)
        q_sec = np.array([s for _, s in quizzes], dtype=np.int64)
        qc = self.cm_course[q_cm]
        close = self.c_start[qc] + q_sec * WEEK + 3 * DAY - 60
        self.q_cm, self.q_sec, self.q_course = q_cm, q_sec, qc
        self.q_close = np.where(rng.random(q_cm.size) < 0.85, close, 0).astype(np.int64)
        self.q_final = q_sec == self.c_weeks[qc]
        self.q_sumgrades = rng.choice([10.0, 15.0, 20.0], q_cm.size)
        self.q_grade = rng.choice([10.0, 100.0], q_cm.size)
        self.q_gradepass = np.where(rng.random(q_cm.size) < 0.5, 0.6 * self.q_grade, 0.0)
        self.f_cm = np.array(feedbacks, dtype=np.int64)

        # lookup tables for browsing sessions
        smax = int(self.c_weeks.max())
        ns = smax + 1
        viewable = (self.cm_course >= 0) & (self.cm_visible == 1) & (
            _VIEW_KIND[self.cm_type] >= 0)  # fmt: skip
        vp = np.flatnonzero(viewable)
        key = self.cm_course[vp] * ns + self.cm_sec[vp]
        grid = np.arange(C)[:, None] * ns + np.arange(ns)[None, :]
        lo = np.searchsorted(key, grid, "left")
        cnt = np.searchsorted(key, grid, "right") - lo
        fb = np.zeros((C, ns), dtype=np.int64)
        for ci in range(C):
            last = 0
            for s in range(ns):
                if cnt[ci, s] > 0:
                    last = s
                fb[ci, s] = last
        rows = np.arange(C)[:, None]
        self.vp = vp
        self.vp_lo = lo[rows, fb]
        self.vp_cnt = cnt[rows, fb]
        fp = np.flatnonzero((self.cm_course >= 0) & (self.cm_visible == 1)
                            & (self.cm_type == _MOD["forum"]))  # fmt: skip
        fkey = self.cm_course[fp] * ns + self.cm_sec[fp]
        self.fp = fp
        self.fp_lo = np.searchsorted(fkey, np.arange(C) * ns, "left")
        self.fp_cum = np.searchsorted(fkey, grid, "right") - self.fp_lo[:, None]
        self.pp_lo = np.searchsorted(self.p_course, np.arange(C), "left")
        self.pp_cnt = np.searchsorted(self.p_course, np.arange(C), "right") - self.pp_lo

    def _plan_window_grid(self) -> None:
        act = self.c_active
        self.t0 = _monday(int(self.c_start[act].min())) - 5 * WEEK
        self.n_windows = (self.now - self.t0) // WEEK + 1
        self.c_startwin = (self.c_start - self.t0) // WEEK  # may be negative for future courses

    def _pairs(self, items_course: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(item, participant) pairs: every student of an active course x its items."""
        items, parts = [], []
        for c in np.flatnonzero(self.c_active):
            it = np.flatnonzero(items_course == c)
            st = np.flatnonzero((self.p_course == c) & self.p_student)
            items.append(np.tile(it, st.size))
            parts.append(np.repeat(st, it.size))
        if not items:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(items).astype(np.int64), np.concatenate(parts).astype(np.int64)

    def _decide_assignments(self) -> None:
        rng = self.rng("assign")
        now = self.now
        a, p = self._pairs(self.a_course)
        n = a.size
        c = self.p_course[p]
        S, W = self.c_start[c], self.c_weeks[c]
        D, cut = self.a_due[a], self.a_cut[a]
        open_t = S + (self.a_sec[a] - 1) * WEEK
        nominal = np.where(D > 0, D, open_t + 2 * WEEK)
        week = np.clip((nominal - S) // WEEK + 1, 1, W)
        m = self.M[p, week].astype(float)
        b1 = np.minimum(self.p_b[p], 1.0)
        eng = b1 * m
        active = m > 0.05
        r = rng.random((8, n))
        sub = active & (r[0] < 0.04 + 0.93 * eng**0.6)
        p_late = np.clip((0.06 + 0.35 * (1 - b1)) * self.p_lateness[p], 0, 0.8)
        late = sub & (D > 0) & (r[1] < p_late)
        lead = (rng.exponential(30 * HOUR, n) + 300).astype(np.int64)
        t = np.where(D > 0, D - lead, open_t + (rng.exponential(6 * DAY, n) + 600).astype(
            np.int64))  # fmt: skip
        too_early = (D > 0) & (t < open_t + 600)
        t = np.where(too_early, open_t + 600 + (r[2] * np.maximum(D - open_t - 1200, 0)).astype(
            np.int64), t)  # fmt: skip
        t_late = D + 60 + rng.exponential(2.5 * DAY, n).astype(np.int64)
        t_late = np.where(cut > 0, np.minimum(t_late, cut - 60 - (r[3] * HOUR).astype(np.int64)),
                          t_late)  # fmt: skip
        t = np.where(late, t_late, t)
        # late enrolees catch up on earlier work sometimes
        astart, aend = self.p_astart[p], self.p_aend[p]
        catchup = sub & (t < astart) & (r[4] < 0.4)
        t_cu = astart + HOUR + rng.exponential(2 * DAY, n).astype(np.int64)
        catchup &= (cut == 0) | (t_cu < cut)
        t = np.where(catchup, t_cu, t)
        sub &= (t >= astart) & (t <= aend)
        done = sub & (t <= now - 60)

        # not (yet) submitted: an opened-but-empty ('new') or a 'draft' submission, or no row
        tv = np.where(D > 0, D - rng.integers(DAY, 6 * DAY, n),
                      open_t + rng.integers(HOUR, 7 * DAY, n))  # fmt: skip
        tv = np.maximum(tv, open_t + 300)
        tv_ok = active & (tv >= astart) & (tv <= aend) & (tv <= now - 600)
        status = np.zeros(n, dtype=np.int64)  # 0 none, 1 new, 2 draft, 3 submitted
        status = np.where(~done & tv_ok & (r[5] < 0.45), 1, status)
        status = np.where(~done & tv_ok & (r[5] >= 0.45) & (r[5] < 0.65), 2, status)
        status = np.where(done, 3, status)
        tmod = np.select([status == 3, status == 2, status == 1], [t, tv + 60, tv], 0)

        # grading
        base_g = np.where(D > 0, np.maximum(t, D), t) + rng.integers(1, 8, n) * DAY
        t_grade = base_g - base_g % DAY + rng.integers(8 * HOUR, 18 * HOUR, n)
        graded = done & (t_grade <= now)
        pct = np.clip(self.p_ability[p] + rng.normal(0, 0.12, n) - 0.08 * late, 0, 1)
        grade = np.round(self.a_grademax[a] * pct, 2)
        zero_base = D + rng.integers(7, 11, n) * DAY
        t_zero = zero_base - zero_base % DAY + rng.integers(8 * HOUR, 18 * HOUR, n)
        zero = (~done & self.c_zero_missing[c] & (D > 0) & (t_zero <= now) & (astart <= D)
                & (aend >= D))  # fmt: skip
        null_row = (status == 2) & (r[6] < 0.5) & (tv + 3 * DAY <= now)
        t_null = tv + rng.integers(DAY, 3 * DAY, n)
        gweek = np.clip((t_grade - S) // WEEK + 1, 0, self.wcols - 1)
        fb_ok = graded & (self.M[p, gweek] > 0.05) & (r[7] < 0.3 + 0.5 * b1)
        t_fb = t_grade + 600 + rng.exponential(1.5 * DAY, n).astype(np.int64)
        fb_ok &= (t_fb <= now) & (t_fb <= aend)

        self.as_a, self.as_p, self.as_status, self.as_tmod = a, p, status, tmod
        self.as_late = done & (D > 0) & (t > D)
        self.as_grade = np.where(graded, grade, np.where(zero, 0.0, np.nan))
        self.as_grade_t = np.select([graded, zero, null_row], [t_grade, t_zero, t_null], -1)
        self.as_has_grade = graded | zero | null_row

        # log chains
        j = rng.integers(0, 200, (6, n))
        neg = np.full(n, -1, dtype=np.int64)
        cv_sub = t - 600 + j[0]
        cv_tv = np.where(status == 2, tv - 200, tv - 60 - j[0] % 60)
        s_sub, s_draft, s_new = status == 3, status == 2, status == 1
        opened = s_sub | s_draft | s_new
        cv = np.select([s_sub, opened], [cv_sub, cv_tv], -1)
        av = np.where(opened, cv + 20 + j[1] % 40, -1)
        sv1 = np.where(opened, av + 10 + j[2] % 20, -1)
        up = np.select([s_sub, s_draft], [t - 20 - j[3] % 100, tv + 60], -1)
        grader = self.person_uid[self.c_teacher_person[c]]
        student_uid = self.p_user[p]
        teach_t = np.select([graded, zero], [t_grade, t_zero], -1)
        base = {
            "user": student_uid, "course": c, "cm": self.a_cm[a], "pidx": p,
            "origin": (rng.random(n) < 0.5 * self.person_ws[self.p_person[p]]).astype(np.int64),
        }  # fmt: skip
        slots = [
            _Slot(_K["course_viewed"], cv),
            _Slot(_K["assign_viewed"], av),
            _Slot(_K["status_viewed"], sv1),
            _Slot(_K["uploaded"], up),
            _Slot(_K["submitted"], np.where(s_sub, t, neg)),
            _Slot(_K["status_viewed"], np.where(s_sub, t + 5 + j[4] % 20, neg)),
            _Slot(_K["submission_graded"], teach_t, user=grader, related=student_uid,
                  student_activity=False),
            _Slot(_K["user_graded"], np.where(teach_t >= 0, teach_t + 2 + j[5] % 30, -1),
                  user=grader, related=student_uid, course_level=True, student_activity=False),
            _Slot(_K["assign_feedback_viewed"], np.where(fb_ok, t_fb, neg), related=student_uid),
        ]  # fmt: skip
        self.src_assign = (base, slots)

    def _decide_quizzes(self) -> None:
        rng = self.rng("quiz")
        now = self.now
        q, p = self._pairs(self.q_course)
        n = q.size
        c = self.p_course[p]
        S = self.c_start[c]
        open_t = S + (self.q_sec[q] - 1) * WEEK
        close = self.q_close[q]
        nclose = np.where(close > 0, close, open_t + 10 * DAY)
        m = self.M[p, self.q_sec[q]].astype(float)
        b1 = np.minimum(self.p_b[p], 1.0)
        eng = b1 * m
        r = rng.random((6, n))
        att = (m > 0.05) & (r[0] < 0.06 + 0.9 * eng**0.5)
        ts = nclose - (rng.exponential(2 * DAY, n) + 1800).astype(np.int64)
        span = np.maximum(nclose - open_t - 3600, 0)
        ts = np.where(ts < open_t, open_t + (r[1] * span).astype(np.int64), ts)
        astart, aend = self.p_astart[p], self.p_aend[p]
        t_cu = astart + 600 + rng.exponential(DAY, n).astype(np.int64)
        cu = att & (ts < astart) & (r[2] < 0.5) & ((close == 0) | (t_cu < close))
        ts = np.where(cu, t_cu, ts)
        att &= (ts >= astart) & (ts <= aend) & (ts <= now - 60)
        dur = (240 + rng.exponential(900, n)).astype(np.int64)
        tf = ts + dur
        score = np.clip(self.p_ability[p] + rng.normal(0.03, 0.13, n), 0, 1)
        abandon = r[3] < 0.025
        finished = att & ~abandon & (tf <= now)
        state1 = np.where(finished, 2, np.where(abandon & (close > 0) & (close <= now), 3, 1))
        # second attempts for weaker first results
        ts2 = tf + 600 + (r[4] * 2 * DAY).astype(np.int64)
        dur2 = (240 + rng.exponential(700, n)).astype(np.int64)
        second = (finished & (score < 0.75) & (r[5] < 0.4) & ((close == 0) | (ts2 < close))
                  & (ts2 <= now - 60) & (ts2 <= aend))  # fmt: skip
        score2 = np.minimum(1.0, score + np.abs(rng.normal(0.1, 0.08, n)))
        tf2 = ts2 + dur2
        fin2 = second & (tf2 <= now)

        # attempts table (first attempts, then second attempts)
        i1 = np.flatnonzero(att)
        i2 = np.flatnonzero(second)
        at_pair = np.concatenate([i1, i2])
        at_no = np.concatenate([np.ones(i1.size, np.int64), np.full(i2.size, 2, np.int64)])
        at_ts = np.concatenate([ts[i1], ts2[i2]])
        at_fin = np.concatenate([finished[i1], fin2[i2]])
        at_state = np.concatenate([state1[i1], np.where(fin2[i2], 2, 1)])
        at_tf = np.concatenate([tf[i1], tf2[i2]])
        at_score = np.concatenate([score[i1], score2[i2]])
        qq = q[at_pair]
        self.qa_q, self.qa_p, self.qa_no = qq, p[at_pair], at_no
        self.qa_state, self.qa_ts = at_state, at_ts
        self.qa_tf = np.where(at_fin, at_tf, 0)
        self.qa_sum = np.where(at_fin, np.round(self.q_sumgrades[qq] * at_score, 2), np.nan)

        # quiz grades per pair: best finished attempt, at the last finish time
        best = np.where(finished, score, -1.0)
        best = np.where(fin2, np.maximum(best, score2), best)
        last_t = np.where(fin2, tf2, np.where(finished, tf, -1))
        has = best >= 0
        self.qg_q, self.qg_p = q[has], p[has]
        self.qg_grade = np.round(best[has] * self.q_grade[q[has]], 2)
        self.qg_t = last_t[has]

        # log chains, one per attempt
        k = at_pair
        na = k.size
        j = rng.integers(0, 120, (4, na))
        nview = rng.integers(1, 5, na)
        t_end = np.where(at_fin, at_tf, at_ts + np.concatenate([dur[i1], dur2[i2]]))
        su = self.p_user[p[k]]
        neg = np.full(na, -1, dtype=np.int64)
        slots = [
            _Slot(_K["course_viewed"], np.where(at_no == 1, at_ts - 100 - j[0], neg)),
            _Slot(_K["quiz_viewed"], at_ts - 30 - j[1] % 60),
            _Slot(_K["attempt_started"], at_ts, related=su),
        ]
        for v in range(4):
            tv = at_ts + (t_end - at_ts) * (v + 1) // (nview + 1)
            slots.append(_Slot(_K["attempt_viewed"], np.where(v < nview, tv, neg), related=su))
        slots.append(_Slot(_K["attempt_submitted"], np.where(at_fin, at_tf, neg), related=su))
        rev = at_fin & (rng.random(na) < 0.7)
        slots.append(_Slot(_K["attempt_reviewed"], np.where(rev, at_tf + 15 + j[2], neg),
                           related=su))  # fmt: skip
        base = {
            "user": su, "course": c[k], "cm": self.q_cm[q[k]], "pidx": p[k],
            "origin": (rng.random(na) < self.person_ws[self.p_person[p[k]]]).astype(np.int64),
        }  # fmt: skip
        self.src_quiz = (base, slots)

    def _decide_feedback(self) -> None:
        rng = self.rng("feedback")
        f_course = self.cm_course[self.f_cm]
        f, p = self._pairs(f_course)
        n = f.size
        c = self.p_course[p]
        s = self.cm_sec[self.f_cm[f]]
        m = self.M[p, s].astype(float)
        eng = np.minimum(self.p_b[p], 1.0) * m
        t = self.c_start[c] + (s - 1) * WEEK + (rng.random(n) * 6 * DAY).astype(np.int64) + HOUR
        ok = (m > 0.05) & (rng.random(n) < 0.1 + 0.6 * eng) & (t >= self.p_astart[p]) & (
            t <= self.p_aend[p])  # fmt: skip
        neg = np.full(n, -1, dtype=np.int64)
        base = {"user": self.p_user[p], "course": c, "cm": self.f_cm[f], "pidx": p,
                "origin": np.zeros(n, np.int64)}  # fmt: skip
        slots = [
            _Slot(_K["feedback_viewed"], np.where(ok, t - 30 - rng.integers(0, 90, n), neg)),
            _Slot(_K["response_submitted"], np.where(ok, t, neg)),
        ]
        self.src_feedback = (base, slots)

    def _misc_sources(self) -> list[tuple[str, dict, list[_Slot]]]:
        """Small chain sources: stray visits, module creation, admin logins."""
        rng = self.rng("misc-events")
        out = []
        # visits after the enrolment ended / was suspended
        P = self.P
        c = self.p_course
        gone = np.where(self.p_tend > 0, self.p_tend,
                        self.c_start[c] + self.p_drop * WEEK + 7 * DAY)  # fmt: skip
        cand = self.p_student & ((self.p_tend > 0) | (self.p_status == 1)) & (rng.random(P) < 0.6)
        t1 = gone + rng.integers(HOUR, 14 * DAY, P)
        t1 = np.where(cand, t1, -1)
        t2 = np.where((t1 >= 0) & (rng.random(P) < 0.5), t1 + rng.integers(20, 200, P), -1)
        base = {"user": self.p_user, "course": c, "cm": np.full(P, -1, np.int64),
                "pidx": np.arange(P), "origin": np.zeros(P, np.int64)}  # fmt: skip
        out.append(("stray", base, [
            _Slot(_K["course_viewed"], t1),
            _Slot(_K["grade_report_viewed"], t2, related=self.p_user),
        ]))  # fmt: skip
        # teachers adding modules
        cm = np.flatnonzero(self.cm_course >= 0)
        cm = cm[self.c_active[self.cm_course[cm]]]
        cc = self.cm_course[cm]
        teacher = self.person_uid[self.c_teacher_person[cc]]
        base = {"user": teacher, "course": cc, "cm": cm, "pidx": np.full(cm.size, -1, np.int64),
                "origin": np.zeros(cm.size, np.int64)}  # fmt: skip
        t = np.where(self.cm_added[cm] >= self.t0, self.cm_added[cm], -1)
        out.append(("cm_created", base, [_Slot(_K["cm_created"], t, student_activity=False)]))
        # weekly logins of the admin and the manager
        weeks = np.arange(self.n_windows)
        users = np.repeat(self.person_uid[[1, 2]], weeks.size)
        wk = np.tile(weeks, 2)
        t = self.t0 + wk * WEEK + 9 * HOUR + rng.integers(0, 4 * HOUR, wk.size)
        base = {"user": users, "course": np.full(wk.size, -1, np.int64),
                "cm": np.full(wk.size, -1, np.int64), "pidx": np.full(wk.size, -1, np.int64),
                "origin": np.zeros(wk.size, np.int64)}  # fmt: skip
        out.append(("admin", base, [_Slot(_K["loggedin"], t, student_activity=False)]))
        return out

    # -- the log ---------------------------------------------------------------

    def _sessions(self, window: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Browsing sessions of all participants in one calendar week."""
        now = self.now
        w0 = self.t0 + window * WEEK
        c_all = self.p_course
        nwk = window - self.c_startwin[c_all] + 1  # course week number per participant
        valid = (nwk >= 0) & (nwk <= self.c_weeks[c_all] + 2) & self.c_active[c_all]
        idx = np.flatnonzero(valid)
        if not idx.size:
            return _ev_empty()
        col = nwk[idx]
        lam = (self.p_rate[idx] * self.M[idx, col] * self.R[c_all[idx], col]
               * rng.gamma(3.0, 1 / 3, idx.size))  # fmt: skip
        ns = rng.poisson(lam)
        sp = np.repeat(idx, ns)  # participant of each session
        n_s = sp.size
        if not n_s:
            return _ev_empty()
        person = self.p_person[sp]
        tz = np.where(self.person_ru[person], 3, 0)
        day = rng.choice(7, n_s, p=_DAY_P)
        hour = rng.choice(24, n_s, p=_HOUR_P)
        off = day * DAY + hour * HOUR + rng.integers(0, HOUR, n_s) - tz * HOUR
        t0 = w0 + np.mod(off, WEEK)
        keep = (t0 >= self.p_astart[sp]) & (t0 <= self.p_aend[sp]) & (t0 <= now)
        sp, t0, person = sp[keep], t0[keep], person[keep]
        n_s = sp.size
        if not n_s:
            return _ev_empty()
        login = rng.random(n_s) < 0.55
        origin = (rng.random(n_s) < self.person_ws[person]).astype(np.int64)
        shift = np.where(login, rng.integers(3, 40, n_s), 0)
        ne = 1 + rng.poisson(self.p_eps[sp])
        E = int(ne.sum())
        es = np.repeat(np.arange(n_s), ne)
        first = np.cumsum(ne) - ne
        gaps = rng.exponential(75.0, E).astype(np.int64) + 4
        gaps[first] = 0
        cs = np.cumsum(gaps)
        t = t0[es] + shift[es] + cs - cs[first][es]

        pe = sp[es]
        c = c_all[pe]
        teacher = ~self.p_student[pe]
        u = rng.random((7, E))
        cls = np.where(teacher, np.searchsorted(_CUM_TEACHER, u[0], side="right"),
                       np.searchsorted(_CUM_STUDENT, u[0], side="right"))  # fmt: skip
        cls[first] = _C_COURSE
        nw = nwk[pe]
        cur = np.clip(nw, 1, self.c_weeks[c])
        lag = rng.geometric(0.45, E) - 1
        sec = np.where(u[1] < 0.08, 0, np.maximum(cur - lag, 0))
        cm_view = self.vp[self.vp_lo[c, sec] + (u[2] * self.vp_cnt[c, sec]).astype(np.int64)]
        cm_forum = self.fp[self.fp_lo[c] + (u[3] * self.fp_cum[c, cur]).astype(np.int64)]
        mt = self.cm_type[cm_view]
        vk = _VIEW_KIND[mt]
        alt = u[4] < 0.45
        vk = np.where(
            (mt == _MOD["assign"]) & alt,
            np.where(teacher, _K["grading_table_viewed"], _K["status_viewed"]),
            vk,
        )
        vk = np.where((mt == _MOD["forum"]) & alt, _K["discussion_viewed"], vk)
        kind = np.select(
            [cls == _C_COURSE, cls == _C_MODVIEW, cls == _C_GRADES, cls == _C_DISC_VIEW,
             cls == _C_POST, cls == _C_DISC_NEW, cls == _C_USERLIST, cls == _C_MODUPDATE],
            [_K["course_viewed"], vk, _K["grade_report_viewed"], _K["discussion_viewed"],
             _K["post_created"], _K["discussion_created"], _K["user_list_viewed"],
             _K["cm_updated"]],
            _K["grader_report_viewed"])  # fmt: skip
        cm = np.select([(cls == _C_MODVIEW) | (cls == _C_MODUPDATE),
                        (cls == _C_DISC_VIEW) | (cls == _C_POST) | (cls == _C_DISC_NEW)],
                       [cm_view, cm_forum], -1)  # fmt: skip
        user = self.p_user[pe]
        other = self.p_user[self.pp_lo[c] + (u[5] * self.pp_cnt[c]).astype(np.int64)]
        related = np.where((cls == _C_POST) & (u[6] < 0.6) & (other != user), other, -1)
        related = np.where(cls == _C_GRADES, user, related)
        ev = _ev_make(E, t=t, kind=kind, user=user, course=c, cm=cm, related=related,
                      origin=origin[es], pidx=pe)  # fmt: skip
        li = np.flatnonzero(login)
        logins = _ev_make(li.size, t=t0[li], kind=_K["loggedin"], user=self.p_user[sp[li]],
                          origin=origin[li])  # fmt: skip
        return _ev_concat([logins, ev])

    def write_log(self, out: _Output, report: _Reporter) -> None:
        """Generate the log window by window, in time order, and stream it to disk."""
        now = self.now
        sources = [
            _ChainSource("assign", *self.src_assign, self.t0, now),
            _ChainSource("quiz", *self.src_quiz, self.t0, now),
            _ChainSource("feedback", *self.src_feedback, self.t0, now),
        ]
        sources += [_ChainSource(name, b, s, self.t0, now) for name, b, s in self._misc_sources()]
        stream = out.stream("logstore_standard_log")
        pending = _ev_empty()
        buffer: list[dict[str, np.ndarray]] = []
        buffered = 0
        next_id = 1
        self.first_act = np.full(self.P, _INF)
        self.last_act = np.full(self.P, -1, dtype=np.int64)
        self.user_last = np.zeros(int(self.person_uid.max()) + 1, dtype=np.int64)
        last_report = time.perf_counter()

        def flush():
            nonlocal buffer, buffered, next_id
            if not buffered:
                return
            ev = _ev_concat(buffer)
            stream.write(self._log_columns(ev, next_id))
            next_id += ev["t"].size
            buffer, buffered = [], 0

        for w in range(int(self.n_windows)):
            w0, w1 = self.t0 + w * WEEK, self.t0 + (w + 1) * WEEK
            rng = self.rng("log", w)
            new = [self._sessions(w, rng)] + [s.events(w) for s in sources]
            new = _ev_concat(new)
            if new["t"].size and new["t"].min() < w0:
                raise AssertionError("an event was generated for an already written window")
            new = _ev_take(new, new["t"] <= now)
            pend = _ev_concat([pending, new])
            order = np.argsort(pend["t"], kind="stable")
            pend = _ev_take(pend, order)
            cut = int(np.searchsorted(pend["t"], w1, "left"))
            emit = _ev_take(pend, slice(0, cut))
            pending = _ev_take(pend, slice(cut, None))
            if emit["t"].size:
                self._track(emit)
                buffer.append(emit)
                buffered += emit["t"].size
                if buffered >= self.size.chunk_rows:
                    flush()
            if time.perf_counter() - last_report > 5 or w == self.n_windows - 1:
                last_report = time.perf_counter()
                report.line(f"logstore_standard_log  week {w + 1}/{self.n_windows}, "
                            f"{next_id - 1 + buffered:,} rows")  # fmt: skip
        if pending["t"].size:
            raise AssertionError("events left after the last window")
        flush()
        stream.close()

    def _track(self, ev: dict[str, np.ndarray]) -> None:
        m = ev["pidx"] >= 0
        np.minimum.at(self.first_act, ev["pidx"][m], ev["t"][m])
        np.maximum.at(self.last_act, ev["pidx"][m], ev["t"][m])
        np.maximum.at(self.user_last, ev["user"], ev["t"])

    def _log_columns(self, ev: dict[str, np.ndarray], first_id: int) -> dict:
        n = ev["t"].size
        kind = ev["kind"]
        lvl = _EV_LEVEL[kind]
        cm = np.maximum(ev["cm"], 0)
        course = np.maximum(ev["course"], 0)
        kind_pa = pa.array(kind)
        cols = {name: arr.take(kind_pa) for name, arr in _EV_STR.items()}
        cols.update({
            "id": np.arange(first_id, first_id + n, dtype=np.int64),
            "edulevel": _EV_EDULEVEL[kind],
            "contextid": np.where(lvl == 70, self.cm_ctx[cm],
                                  np.where(lvl == 50, self.c_ctx[course], 1)),
            "contextlevel": lvl,
            "contextinstanceid": np.where(lvl == 70, self.cm_id[cm],
                                          np.where(lvl == 50, self.c_id[course], 0)),
            "userid": ev["user"],
            "courseid": np.where(ev["course"] >= 0, self.c_id[course], 0),
            "relateduserid": _nint(ev["related"], ev["related"] < 0),
            "anonymous": _EV_ANON[kind],
            "timecreated": ev["t"],
            "origin": _ORIGINS.take(pa.array(ev["origin"])),
        })  # fmt: skip
        return cols

    # -- the other tables --------------------------------------------------------

    def write_tables(self, out: _Output) -> None:
        """Write every contract table except the log (which must be written first)."""
        self._write_courses(out)
        self._write_users(out)
        self._write_enrolments(out)
        self._write_modules(out)
        self._write_assign(out)
        self._write_quiz(out)
        self._write_grades(out)
        self._write_ai(out)
        self._write_preferences(out)

    def _write_courses(self, out: _Output) -> None:
        cid = np.concatenate([[1], self.c_id])
        out.write("course", {
            "id": cid,
            "category": np.concatenate([[0], self.c_category]),
            "fullname": ["Demo University"] + self.c_fullname,
            "shortname": ["demo"] + self.c_shortname,
            "startdate": np.concatenate([[0], self.c_start]),
            "enddate": np.concatenate([[0], self.c_end]),
            "visible": np.concatenate([[1], self.c_visible]),
            "enablecompletion": np.concatenate([[0], self.c_completion]),
        })  # fmt: skip
        out.write("course_categories", {
            "id": [c[0] for c in _CATEGORIES],
            "name": [c[1] for c in _CATEGORIES],
            "parent": [c[2] for c in _CATEGORIES],
        })  # fmt: skip
        crit_course, crit_type = [], []
        for c in np.flatnonzero(self.c_completion == 1):
            types = [4, 4, 6] + ([2] if c % 2 else [])  # activity x2, grade, (date)
            crit_course.extend([int(self.c_id[c])] * len(types))
            crit_type.extend(types)
        out.write("course_completion_criteria", {
            "id": np.arange(1, len(crit_course) + 1),
            "course": crit_course,
            "criteriatype": crit_type,
        })  # fmt: skip

    def _write_users(self, out: _Output) -> None:
        rng = self.rng("users")
        n = self.n_persons
        uid = self.person_uid
        order = np.argsort(uid)
        ru = self.person_ru
        female = rng.random(n) < 0.5
        ifirst = rng.integers(0, 1000, n)
        ilast = rng.integers(0, 1000, n)
        place = rng.integers(0, 1000, n)
        r = rng.random((6, n))
        deleted = np.isin(np.arange(n), self.deleted_persons)
        rows = {k: [] for k, _ in TABLES["user"]}
        seen: dict[str, int] = {}
        for person in order:
            if person == 0:
                first, last, uname, email = "Guest user", " ", "guest", "root@localhost"
            elif person == 1:
                first, last, uname, email = "Admin", "User", "admin", "admin@example.edu"
            else:
                if ru[person]:
                    pool = _RU_FEMALE if female[person] else _RU_MALE
                    first, first_lat = pool[ifirst[person] % len(pool)]
                    last, last_lat = _RU_LAST[ilast[person] % len(_RU_LAST)]
                    if female[person]:
                        last, last_lat = last + "а", last_lat + "a"
                else:
                    first = first_lat = _EN_FIRST[ifirst[person] % len(_EN_FIRST)]
                    last = last_lat = _EN_LAST[ilast[person] % len(_EN_LAST)]
                base_name = _ascii(first_lat)[:1] + _ascii(last_lat)
                seen[base_name] = seen.get(base_name, 0) + 1
                uname = base_name if seen[base_name] == 1 else f"{base_name}{seen[base_name]}"
                domain = "staff.example.edu" if person < self.first_student else "example.edu"
                email = f"{uname}@{domain}"
            if deleted[person]:
                # what Moodle's delete_user() does to the account
                deltime = self.now - int(r[0, person] * 30 * DAY) - DAY
                uname = f"{email}.{deltime}"
                email = hashlib.md5(uname.encode()).hexdigest()
            places = _RU_PLACES if ru[person] else _EN_PLACES
            city, country, _ = places[place[person] % len(places)]
            if person >= 3 and r[1, person] < 0.1:
                city = ""
            rows["id"].append(int(uid[person]))
            rows["username"].append(uname)
            rows["firstname"].append(first)
            rows["lastname"].append(last)
            rows["email"].append(email)
            rows["deleted"].append(int(deleted[person]))
            rows["suspended"].append(int(person == self.suspended_person))
            rows["lastaccess"].append(int(self.user_last[uid[person]]))
            rows["timecreated"].append(int(self.person_created[person]))
            rows["description"].append(
                "" if r[2, person] > 0.08 or person < 2
                else ("<p>Привет! Я учусь здесь.</p>" if ru[person]
                      else "<p>Hi! I am studying here.</p>"))  # fmt: skip
            rows["picture"].append(0 if r[3, person] > 0.15 else int(1000 + person * 7))
            rows["institution"].append("" if r[4, person] < 0.3 or person < 2
                                       else "Demo University")  # fmt: skip
            rows["department"].append(
                "" if r[5, person] < 0.7 or person < 2
                else _DEPARTMENTS[int(place[person]) % len(_DEPARTMENTS)])  # fmt: skip
            rows["city"].append(city if person >= 2 else "")
            rows["country"].append(country if person >= 2 else "")
            rows["lang"].append("ru" if ru[person] else "en")
        out.write("user", rows)
        out.write("role", {"id": [r_[0] for r_ in _ROLES], "shortname": [r_[1] for r_ in _ROLES]})

    def _write_enrolments(self, out: _Output) -> None:
        out.write("enrol", {
            "id": self.e_id,
            "courseid": self.c_id[self.e_course],
            "status": self.e_status,
            "enrol": self.e_method.tolist(),
        })  # fmt: skip
        order = np.lexsort((np.arange(self.P), self.p_tcreated))
        self.p_ueid = np.empty(self.P, dtype=np.int64)
        self.p_ueid[order] = np.arange(1, self.P + 1)
        out.write("user_enrolments", {
            "id": self.p_ueid[order],
            "enrolid": self.p_enrolid[order],
            "userid": self.p_user[order],
            "status": self.p_status[order],
            "timestart": self.p_tstart[order],
            "timeend": self.p_tend[order],
            "timecreated": self.p_tcreated[order],
        })  # fmt: skip
        out.write("context", {"id": self.ctx[:, 0], "contextlevel": self.ctx[:, 1],
                              "instanceid": self.ctx[:, 2]})  # fmt: skip
        ra_role = np.concatenate([[_R_MANAGER], self.p_role[order]])
        ra_ctx = np.concatenate([[1], self.c_ctx[self.p_course[order]]])
        ra_user = np.concatenate([[self.person_uid[2]], self.p_user[order]])
        out.write("role_assignments", {"id": np.arange(1, ra_role.size + 1), "roleid": ra_role,
                                       "contextid": ra_ctx, "userid": ra_user})  # fmt: skip

    def _write_modules(self, out: _Output) -> None:
        out.write("modules", {"id": list(_MOD.values()), "name": list(_MOD)})
        course_id = np.where(self.cm_course >= 0, self.c_id[np.maximum(self.cm_course, 0)], 1)
        out.write("course_modules", {
            "id": self.cm_id, "course": course_id, "module": self.cm_type,
            "instance": self.cm_inst, "section": self.cm_secid, "visible": self.cm_visible,
            "added": self.cm_added,
        })  # fmt: skip

    def _write_assign(self, out: _Output) -> None:
        names = [
            "Portfolio (no due date)" if d == 0 else f"Week {s} assignment"
            for s, d in zip(self.a_sec.tolist(), self.a_due.tolist(), strict=True)
        ]
        out.write("assign", {
            "id": self.cm_inst[self.a_cm], "course": self.c_id[self.a_course], "name": names,
            "duedate": self.a_due, "cutoffdate": self.a_cut,
        })  # fmt: skip
        rows = np.flatnonzero(self.as_status > 0)
        rows = rows[np.lexsort((rows, self.as_tmod[rows]))]
        status_names = np.array(["", "new", "draft", "submitted"], dtype=object)
        out.write("assign_submission", {
            "id": np.arange(1, rows.size + 1),
            "assignment": self.cm_inst[self.a_cm[self.as_a[rows]]],
            "userid": self.p_user[self.as_p[rows]],
            "status": status_names[self.as_status[rows]].tolist(),
            "timemodified": self.as_tmod[rows],
            "latest": np.ones(rows.size, dtype=np.int64),
        })  # fmt: skip

    def _write_quiz(self, out: _Output) -> None:
        names = [
            "Final test" if f else f"Week {s} quiz"
            for s, f in zip(self.q_sec.tolist(), self.q_final.tolist(), strict=True)
        ]
        out.write("quiz", {
            "id": self.cm_inst[self.q_cm], "course": self.c_id[self.q_course], "name": names,
            "timeclose": self.q_close, "sumgrades": self.q_sumgrades, "grade": self.q_grade,
        })  # fmt: skip
        order = np.lexsort((self.qa_no, self.qa_ts))
        states = np.array(["", "inprogress", "finished", "abandoned"], dtype=object)
        out.write("quiz_attempts", {
            "id": np.arange(1, order.size + 1),
            "quiz": self.cm_inst[self.q_cm[self.qa_q[order]]],
            "userid": self.p_user[self.qa_p[order]],
            "attempt": self.qa_no[order],
            "state": states[self.qa_state[order]].tolist(),
            "timestart": self.qa_ts[order],
            "timefinish": self.qa_tf[order],
            "sumgrades": _nfloat(self.qa_sum[order], np.isnan(self.qa_sum[order])),
        })  # fmt: skip

    def _write_grades(self, out: _Output) -> None:
        rng = self.rng("grades")
        now, C, P = self.now, self.C, self.P
        # grade items: per course the course item, then its assignments and quizzes
        gi_course, gi_type, gi_mod, gi_inst, gi_max, gi_pass = [], [], [], [], [], []
        self.a_item = np.zeros(self.a_cm.size, dtype=np.int64)
        self.q_item = np.zeros(self.q_cm.size, dtype=np.int64)
        c_item = np.zeros(C, dtype=np.int64)
        for c in range(C):
            gi_course.append(int(self.c_id[c]))
            gi_type.append("course")
            gi_mod.append(None)
            gi_inst.append(int(self.c_id[c]))
            gi_max.append(100.0)
            gi_pass.append(float(self.c_gradepass[c]))
            c_item[c] = len(gi_course)
            mods = sorted([(int(self.a_cm[i]), "assign", i) for i in np.flatnonzero(
                self.a_course == c)] + [(int(self.q_cm[i]), "quiz", i) for i in np.flatnonzero(
                self.q_course == c)])  # fmt: skip
            for cm, mod, i in mods:
                gi_course.append(int(self.c_id[c]))
                gi_type.append("mod")
                gi_mod.append(mod)
                gi_inst.append(int(self.cm_inst[cm]))
                if mod == "assign":
                    gi_max.append(float(self.a_grademax[i]))
                    gi_pass.append(float(self.a_gradepass[i]))
                    self.a_item[i] = len(gi_course)
                else:
                    gi_max.append(float(self.q_grade[i]))
                    gi_pass.append(float(self.q_gradepass[i]))
                    self.q_item[i] = len(gi_course)
        out.write("grade_items", {
            "id": np.arange(1, len(gi_course) + 1), "courseid": gi_course, "itemtype": gi_type,
            "itemmodule": gi_mod, "iteminstance": gi_inst, "grademax": gi_max,
            "gradepass": gi_pass,
        })  # fmt: skip

        # activity grades
        ga = np.flatnonzero(self.as_has_grade)
        item = np.concatenate([self.a_item[self.as_a[ga]], self.q_item[self.qg_q]])
        gp = np.concatenate([self.as_p[ga], self.qg_p])
        val = np.concatenate([self.as_grade[ga], self.qg_grade])
        gt = np.concatenate([self.as_grade_t[ga], self.qg_t])
        gmax = np.concatenate([self.a_grademax[self.as_a[ga]], self.q_grade[self.qg_q]])

        # course totals: finished courses count missing work as 0; running ones show
        # the current average over graded items
        pct = np.where(np.isnan(val), 0.0, val / gmax)
        n_items = np.bincount(self.a_course, minlength=C) + np.bincount(self.q_course, minlength=C)
        sum_pct = np.bincount(gp, weights=pct, minlength=P)
        n_graded = np.bincount(gp, weights=(~np.isnan(val)).astype(float), minlength=P)
        last_gt = np.full(P, -1, dtype=np.int64)
        np.maximum.at(last_gt, gp, gt)
        c = self.p_course
        fin = self.c_finished[c]
        running = self.c_active[c] & ~fin
        tot = np.where(fin, 100 * sum_pct / np.maximum(n_items[c], 1),
                       100 * sum_pct / np.maximum(n_graded, 1))  # fmt: skip
        end_t = self.c_end[c] + rng.integers(DAY, 5 * DAY, P)
        has_tot = self.p_student & (fin | (running & (n_graded > 0)))
        tot_t = np.where(fin, np.minimum(end_t, now - HOUR), last_gt)
        tp = np.flatnonzero(has_tot)
        item = np.concatenate([item, c_item[c[tp]]])
        gp = np.concatenate([gp, tp])
        val = np.concatenate([val, np.round(tot[tp], 5)])
        gt = np.concatenate([gt, tot_t[tp]])
        order = np.lexsort((self.p_user[gp], item, gt))
        out.write("grade_grades", {
            "id": np.arange(1, order.size + 1), "itemid": item[order],
            "userid": self.p_user[gp[order]],
            "finalgrade": _nfloat(val[order], np.isnan(val[order])),
            "timemodified": gt[order],
        })  # fmt: skip

        # completions (completion-enabled courses that have started)
        n_sub = np.bincount(self.as_p, weights=(self.as_status == 3).astype(float), minlength=P)
        due_passed = (self.a_due > 0) & (self.a_due <= now)
        n_due = np.bincount(self.a_course, weights=due_passed.astype(float), minlength=C)
        frac = n_sub / np.maximum(n_due[c], 1)
        S, W = self.c_start[c], self.c_weeks[c]
        last_quarter = self.last_act >= S + (0.75 * W * WEEK).astype(np.int64)
        total_ok = np.where(np.isnan(tot), 0, tot) >= 50
        done_fin = fin & total_ok & (frac >= 0.6) & last_quarter
        early = (running & (self.p_arch == _A_HIGH) & (frac >= 0.99) & (n_due[c] >= 2)
                 & (rng.random(P) < 0.15))  # fmt: skip
        t_done = last_gt + rng.integers(HOUR, DAY, P)  # the completion cron after the last grade
        t_done = np.minimum(t_done, now - 60)
        completed = (done_fin | early) & (last_gt > 0)
        started = self.c_start[c] <= now
        rows = np.flatnonzero(self.p_student & (self.c_completion[c] == 1) & started)
        rows = rows[np.lexsort((self.p_user[rows], c[rows]))]
        enrolled = np.where(self.p_tstart > 0, self.p_tstart, self.p_tcreated)
        tstarted = np.where(self.first_act < _INF, self.first_act, 0)
        out.write("course_completions", {
            "id": np.arange(1, rows.size + 1), "userid": self.p_user[rows],
            "course": self.c_id[c[rows]], "timeenrolled": enrolled[rows],
            "timestarted": tstarted[rows],
            "timecompleted": _nint(np.where(completed, t_done, 0)[rows], ~completed[rows]),
        })  # fmt: skip

    def _write_ai(self, out: _Output) -> None:
        rng = self.rng("ai")
        n, now = self.size.ai_actions, self.now
        recent = rng.random(n) < 0.4
        age = np.where(recent, rng.random(n) * 7 * DAY, 7 * DAY + rng.random(n) * 200 * DAY)
        t = now - age.astype(np.int64)
        t = t - t % DAY + (rng.choice(24, n, p=_HOUR_P) * HOUR) + rng.integers(0, HOUR, n)
        t = np.minimum(t, now - 120 - rng.integers(0, HOUR, n))
        order = np.argsort(t, kind="stable")
        t = t[order]
        actions = np.array(["generate_text", "summarise_text", "explain_text", "generate_image"])
        act = rng.choice(4, n, p=[0.45, 0.3, 0.12, 0.13])
        providers = np.array(["aiprovider_openai", "aiprovider_azureai", "aiprovider_ollama"])
        prov = rng.choice(3, n, p=[0.55, 0.25, 0.2])
        image = act == 3
        mini = rng.random(n) < 0.4
        model = np.select(
            [(prov == 2) & image, prov == 2, image, (prov == 0) & mini],
            ["llava", "llama3.2", "dall-e-3", "gpt-4o-mini"],
            "gpt-4o",
        ).astype(object)
        model[rng.random(n) < 0.06] = None
        fail_p = np.where((prov == 2) & image, 0.6, 0.1)
        success = rng.random(n) >= fail_p
        codes = np.array([403, 404, 429, 500])
        err = codes[rng.choice(4, n, p=[0.15, 0.1, 0.5, 0.25])]
        err = np.where((prov == 2) & image, 404, err)
        dur = np.where(image, 8 + rng.exponential(10, n), 1 + rng.exponential(4, n)).astype(
            np.int64)  # fmt: skip
        no_end = ~success & (rng.random(n) < 0.3)
        # who and where: teachers (60 %) or students of an active course
        act_c = np.flatnonzero(self.c_active)
        cc = act_c[rng.integers(0, act_c.size, n)]
        lo, cnt = self.pp_lo[cc], self.pp_cnt[cc]
        n_teach = np.array([np.sum(~self.p_student[self.p_course == ci]) for ci in range(self.C)])
        pick_t = rng.random(n) < 0.6
        k = np.where(
            pick_t,
            (rng.random(n) * n_teach[cc]).astype(np.int64),
            n_teach[cc] + (rng.random(n) * (cnt - n_teach[cc])).astype(np.int64),
        )
        user = self.p_user[lo + k]
        course_cms = [np.flatnonzero(self.cm_course == ci) for ci in range(self.C)]
        in_cm = rng.random(n) < 0.3
        ctx = np.array([
            self.cm_ctx[course_cms[ci][int(u * course_cms[ci].size)]] if m else self.c_ctx[ci]
            for ci, u, m in zip(cc.tolist(), rng.random(n).tolist(), in_cm.tolist(),
                                strict=True)])  # fmt: skip
        actionid = np.zeros(n, dtype=np.int64)
        for a in range(4):
            sel = act == a
            actionid[sel] = np.arange(1, int(sel.sum()) + 1)
        out.write("ai_action_register", {
            "id": np.arange(1, n + 1), "actionname": actions[act].tolist(),
            "actionid": actionid, "success": success.astype(np.int64), "userid": user,
            "contextid": ctx, "provider": providers[prov].tolist(), "model": model.tolist(),
            "errorcode": _nint(err, success),
            "errormessage": [None if s else _AI_ERRORS[int(e)]
                             for s, e in zip(success.tolist(), err.tolist(), strict=True)],
            "timecreated": t, "timecompleted": _nint(t + dur, no_end),
        })  # fmt: skip

    def _write_preferences(self, out: _Output) -> None:
        rng = self.rng("preferences")
        n = self.n_persons
        r = rng.random((5, n))
        chat = rng.integers(100_000_000, 7_000_000_000, n)
        deleted = np.isin(np.arange(n), self.deleted_persons)
        is_student = np.arange(n) >= self.first_student
        rows: list[tuple[int, str, str]] = []
        for person in range(2, n):
            uid = int(self.person_uid[person])
            tele = (r[0, person] < 0.4) if is_student[person] else (r[0, person] < 0.5)
            if tele and not deleted[person]:
                rows.append((uid, TELEGRAM_CHAT_PREFERENCE, str(int(chat[person]))))
            if r[1, person] < 0.3:
                rows.append((uid, "auth_forcepasswordchange", "0"))
            if r[2, person] < 0.5:
                rows.append((uid, "block_myoverview_user_view_preference",
                             "card" if r[3, person] < 0.6 else "list"))  # fmt: skip
            if r[4, person] < 0.2:
                rows.append((uid, "email_bounce_count", "1"))
                rows.append((uid, "email_send_count", str(int(chat[person] % 40) + 1)))
        rows.sort()
        out.write("user_preferences", {
            "id": np.arange(1, len(rows) + 1), "userid": [x[0] for x in rows],
            "name": [x[1] for x in rows], "value": [x[2] for x in rows],
        })  # fmt: skip

    def truth(self) -> pa.Table:
        """Ground truth per student enrolment: archetype and planned dropout week."""
        idx = np.flatnonzero(self.p_student)
        idx = idx[np.lexsort((self.p_user[idx], self.c_id[self.p_course[idx]]))]
        drop = self.p_drop[idx]
        return pa.table({
            "courseid": pa.array(self.c_id[self.p_course[idx]], pa.int64()),
            "userid": pa.array(self.p_user[idx], pa.int64()),
            "archetype": pa.array([ARCHETYPES[a] for a in self.p_arch[idx]], pa.string()),
            "dropout_week": _nint(drop, drop <= 0),
        })  # fmt: skip


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
