"""Feedback on predictions, with Moodle Analytics' values (issue 19).

A curator or teacher marks one prediction (a student's scores for one course
week, ``marts.mart_student_scores``) as ``useful``, ``not_useful``, ``fixed`` or
``incorrectly_flagged``. Each mark is appended to
``<log_schema>.prediction_feedback`` (schema ``notifications`` on DuckDB,
``<EW_PG_SCHEMA>_notifications`` on PostgreSQL): like the delivery log, no
``dbt build`` nor ``--full-refresh`` ever touches it. dbt reads it back as the
source ``app.prediction_feedback``: the latest mark of each person counts
(``int_prediction_feedback_latest``), counted per model version, course and week
in ``mart_prediction_feedback`` and per model version in ``mart_model_feedback``;
an enrolment-week marked ``incorrectly_flagged`` gets no automated message
(``mart_notification_outbox``).

The prediction's model version, probability and risk band are stored with the
mark, so the counts stay right when the models are retrained.

Access: the caller passes the user and may pass ``check_access(user, courseid) ->
bool``; a refusal raises :class:`~early_warning.notify.manual.AccessDenied`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from early_warning.notify.manual import AccessDenied, CheckAccess, ManualMessageError
from early_warning.notify.sender import utc_now
from early_warning.notify.store import DeliveryStore, StoreError

#: Moodle Analytics' prediction actions, as stored
FEEDBACK_VALUES = ("useful", "not_useful", "fixed", "incorrectly_flagged")
FEEDBACK_TABLE = "prediction_feedback"
SCORES_RELATION = "mart_student_scores"
MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True)
class FeedbackRecord:
    feedback_id: str
    enrolment_id: str
    courseid: int
    userid: int
    course_week: int
    model_version: str | None
    p_dropout: float | None
    risk_band: str | None
    value: str
    given_by: str
    given_at: datetime
    note: str | None


_COLUMNS = (
    "feedback_id",
    "enrolment_id",
    "courseid",
    "userid",
    "course_week",
    "model_version",
    "p_dropout",
    "risk_band",
    "value",
    "given_by",
    "given_at",
    "note",
)


def feedback_relation(store: DeliveryStore) -> str:
    return f"{store.log_schema}.{FEEDBACK_TABLE}"


def ensure_feedback_table(store: DeliveryStore) -> None:
    """Create the table when missing (never drops anything)."""
    if store.read_only:
        raise StoreError("the store is read-only")
    if store._table_exists(store.log_schema, FEEDBACK_TABLE):
        return
    for attempt in range(5):
        try:
            _create_feedback_table(store)
            return
        except store._errors():
            # created by someone else at the same moment: let them finish
            if store.engine == "postgres" and not store.connection.autocommit:
                store.connection.rollback()
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def _create_feedback_table(store: DeliveryStore) -> None:
    store._execute(f"create schema if not exists {store.log_schema}")
    store._execute(
        f"""
        create table if not exists {feedback_relation(store)} (
            feedback_id varchar not null primary key,
            enrolment_id varchar not null,
            courseid bigint not null,
            userid bigint not null,
            course_week bigint not null,
            model_version varchar,
            p_dropout double precision,
            risk_band varchar,
            value varchar not null,
            given_by varchar not null,
            given_at timestamp not null,
            note varchar,
            check (value in ('useful', 'not_useful', 'fixed', 'incorrectly_flagged'))
        )
        """
    )


def _prediction(store: DeliveryStore, enrolment_id: str, course_week: int | None) -> tuple:
    relation = f"{store.marts_schema}.{SCORES_RELATION}"
    if not store._table_exists(store.marts_schema, SCORES_RELATION):
        raise StoreError(f"no table {relation}: build it first (dbt build)")
    week_filter = (
        "course_week = %s"
        if course_week is not None
        else (f"course_week = (select max(course_week) from {relation} where enrolment_id = %s)")
    )
    rows = store._execute(
        "select enrolment_id, courseid, userid, course_week, dropout_model_version, p_dropout, "
        f"risk_band from {relation} where enrolment_id = %s and {week_filter}",
        (str(enrolment_id), course_week if course_week is not None else str(enrolment_id)),
    )
    if not rows:
        raise ManualMessageError(
            f"no prediction for enrolment {enrolment_id}"
            + (f" in course week {course_week}" if course_week is not None else "")
            + f" in {relation}"
        )
    return rows[0]


def record_feedback(
    store: DeliveryStore,
    *,
    enrolment_id: str,
    value: str,
    user: str,
    course_week: int | None = None,
    note: str | None = None,
    check_access: CheckAccess | None = None,
    now: Callable[[], datetime] = utc_now,
) -> FeedbackRecord:
    """Record ``user``'s mark on the prediction of ``enrolment_id`` for ``course_week``
    (default: the newest scored week). Appends; the latest mark of a person counts."""
    if value not in FEEDBACK_VALUES:
        raise ManualMessageError(
            f"feedback must be one of {', '.join(FEEDBACK_VALUES)}, not {value!r}"
        )
    if not user:
        raise ManualMessageError("the user is required: it is recorded with the feedback")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise ManualMessageError(f"the note is longer than {MAX_NOTE_LENGTH} characters")
    with store.session():
        enrolment, courseid, userid, week, version, p_dropout, band = _prediction(
            store, enrolment_id, course_week
        )
        if check_access is not None and not check_access(user, int(courseid)):
            raise AccessDenied(f"{user} may not give feedback on the students of course {courseid}")
        ensure_feedback_table(store)
        record = FeedbackRecord(
            feedback_id=uuid.uuid4().hex,
            enrolment_id=str(enrolment),
            courseid=int(courseid),
            userid=int(userid),
            course_week=int(week),
            model_version=version,
            p_dropout=float(p_dropout) if p_dropout is not None else None,
            risk_band=band,
            value=value,
            given_by=str(user),
            given_at=now(),
            note=note,
        )
        store._execute(
            f"insert into {feedback_relation(store)} ({', '.join(_COLUMNS)}) "
            f"values ({', '.join(['%s'] * len(_COLUMNS))})",
            tuple(getattr(record, column) for column in _COLUMNS),
        )
    return record


def list_feedback(
    store: DeliveryStore,
    enrolment_id: str,
    user: str | None = None,
    check_access: CheckAccess | None = None,
    courseid: int | None = None,
) -> list[FeedbackRecord]:
    """Every mark given on the enrolment's predictions, oldest first (history included).

    With ``check_access``, give ``courseid`` (the enrolment's course) and ``user``."""
    if check_access is not None:
        if courseid is None or user is None:
            raise ManualMessageError("check_access needs the user and the enrolment's courseid")
        if not check_access(user, int(courseid)):
            raise AccessDenied(f"{user} may not see the students of course {courseid}")
    with store.session():
        if not store._table_exists(store.log_schema, FEEDBACK_TABLE):
            return []
        rows = store._execute(
            f"select {', '.join(_COLUMNS)} from {feedback_relation(store)} "
            "where enrolment_id = %s order by given_at, feedback_id",
            (str(enrolment_id),),
        )
    return [FeedbackRecord(*row) for row in rows]


def course_access_check(store: DeliveryStore) -> CheckAccess:
    """A ``check_access`` from ``marts.mart_course_access`` (Moodle's listinsights roles):
    the user (Moodle username) may act on a course when the mart lists them for it."""

    def check(user: str, courseid: int) -> bool:
        rows = store._execute(
            f"select count(*) from {store.marts_schema}.mart_course_access "
            "where courseid = %s and username = %s",
            (int(courseid), str(user)),
        )
        return bool(rows and rows[0][0])

    return check
