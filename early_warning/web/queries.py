"""What each page and API route reads: the teacher views only (models/marts/teacher).

Every function takes ``run(sql, params) -> list[dict]`` (the reader bound to the
signed-in user) and the teacher schema's name. Nothing here filters by user: the
views do. A course or student the user may not see comes back empty, exactly like
one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Run = Callable[[str, tuple], list[dict]]

#: The course page's columns, in order: (key, header). The CSV has exactly these.
STUDENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("lastname", "Last name"),
    ("firstname", "First name"),
    ("category", "Category"),
    ("change_direction", "Since last week"),
    ("previous_run_direction", "Since previous run"),
    ("p_dropout", "P(dropout)"),
    ("p_completion", "P(completion)"),
    ("risk_band", "Risk band"),
    ("days_since_last_activity", "Days since last activity"),
    ("reason_1", "First reason"),
)
SORTABLE = {key for key, _ in STUDENT_COLUMNS}
CATEGORIES = ("active", "falling_asleep", "asleep", "not_started")
RISK_BANDS = ("high", "medium", "low")
_SEVERITY = {c: i for i, c in enumerate(CATEGORIES)}
_RISK = {"low": 0, "medium": 1, "high": 2}


def as_of_text(value) -> str | None:
    """as_of (Unix seconds, or a timestamp) as 'YYYY-MM-DD HH:MM UTC'."""
    if value is None:
        return None
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, tz=UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def my_courses(run: Run, t: str) -> list[dict]:
    return run(
        f"""
        select courseid, course_fullname, course_shortname, course_status, n_students,
               n_active, n_falling_asleep, n_asleep, n_not_started,
               n_worsened_since_last_week, n_worsened_since_previous_run,
               median_p_completion, critical_week, critical_week_n_crossed, as_of
        from {t}.my_course_overview
        order by case course_status when 'running' then 0 else 1 end, course_fullname, courseid
        """,
        (),
    )


def course_names(run: Run, t: str) -> list[dict]:
    """The names of my courses (my_courses: no figures, cheap)."""
    return run(
        f"select distinct courseid, course_fullname, course_shortname from {t}.my_courses", ()
    )


def course(run: Run, t: str, courseid: int) -> dict | None:
    rows = run(
        f"""
        select courseid, course_fullname, course_shortname, course_status, n_students,
               n_active, n_falling_asleep, n_asleep, n_not_started,
               n_worsened_since_last_week, n_worsened_since_previous_run,
               median_p_completion, critical_week, critical_week_n_crossed, as_of
        from {t}.my_course_overview
        where courseid = %s
        """,
        (courseid,),
    )
    return rows[0] if rows else None


def course_students(run: Run, t: str, courseid: int) -> list[dict]:
    return run(
        f"""
        select enrolment_id, courseid, userid, firstname, lastname, course_week, category,
               previous_category, change_direction, previous_run_category,
               previous_run_direction, days_since_last_activity, p_dropout, p_completion,
               risk_band, reason_1, reason_2, reason_3, telegram_connected
        from {t}.my_student_current
        where courseid = %s
        order by lastname, firstname, userid
        """,
        (courseid,),
    )


def critical_points(run: Run, t: str, courseid: int) -> list[dict]:
    return run(
        f"""
        select course_week, n_students, n_active, n_falling_asleep, n_asleep, n_not_started,
               n_entered_falling_asleep, share_entered_falling_asleep, n_entered_asleep,
               share_entered_asleep, n_woke_up
        from {t}.my_course_critical_points
        where courseid = %s
        order by course_week
        """,
        (courseid,),
    )


def critical_activities(run: Run, t: str, courseid: int, limit: int = 5) -> list[dict]:
    return run(
        f"""
        select course_module_id, module_type, activity_name, n_stops, n_students,
               share_of_course_stops, stop_rank, first_stop_week, last_stop_week
        from {t}.my_course_critical_activities
        where courseid = %s and stop_rank <= %s
        order by stop_rank
        """,
        (courseid, limit),
    )


def student_current(run: Run, t: str, userid: int) -> list[dict]:
    return run(
        f"""
        select enrolment_id, courseid, course_shortname, course_fullname, userid, firstname,
               lastname, course_week, category, change_direction, previous_run_direction,
               days_since_last_activity, last_activity_at, p_dropout, p_completion, risk_band,
               reason_1, reason_2, reason_3, telegram_connected
        from {t}.my_student_current
        where userid = %s
        order by course_fullname, courseid
        """,
        (userid,),
    )


def student_history(run: Run, t: str, userid: int) -> list[dict]:
    return run(
        f"""
        select enrolment_id, courseid, course_week, is_complete_week, is_current, category,
               change_direction, days_since_last_activity, n_events, n_active_days,
               assignments_due_so_far, assignments_submitted_so_far,
               assignments_on_time_so_far, assignments_late_so_far,
               assignments_missing_so_far, p_dropout, p_completion, risk_band,
               reason_1, reason_2, reason_3
        from {t}.my_student_history
        where userid = %s
        order by courseid, course_week
        """,
        (userid,),
    )


def student_reasons(run: Run, t: str, userid: int, courseids: list[int]) -> list[dict]:
    if not courseids:
        return []
    marks = ", ".join(["%s"] * len(courseids))
    return run(
        f"""
        select courseid, course_week, reason_rank, reason_text, feature, student_value,
               course_median, contribution
        from {t}.my_student_reasons
        where userid = %s and courseid in ({marks})
        order by courseid, reason_rank
        """,
        (userid, *courseids),
    )


def student_messages(run: Run, t: str, userid: int) -> list[dict]:
    """This week's messages to the student ([] where the source has no notifications, OULAD)."""
    try:
        return _student_messages(run, t, userid)
    except Exception:  # the view is Moodle-only
        return []


def _student_messages(run: Run, t: str, userid: int) -> list[dict]:
    return run(
        f"""
        select outbox_id, courseid, course_week, transition, from_value, to_value,
               message_text, can_send
        from {t}.my_student_messages
        where userid = %s
        order by courseid, course_week
        """,
        (userid,),
    )


def delivery_statuses(run: Run, log_schema: str, outbox_ids: list[str]) -> dict[str, dict]:
    """The latest attempt of each outbox row in the sender's delivery log (only rows the
    caller got from my_student_messages), or {} when the log does not exist (nothing sent
    yet) or the user may not read it."""
    if not outbox_ids:
        return {}
    marks = ", ".join(["%s"] * len(outbox_ids))
    try:
        rows = run(
            f"""
            select outbox_id, attempt_no, status, started_at, finished_at
            from {log_schema}.notification_deliveries
            where outbox_id in ({marks})
            order by outbox_id, attempt_no
            """,
            tuple(outbox_ids),
        )
    except Exception:  # no log yet, or not granted: the page says "not recorded"
        return {}
    return {row["outbox_id"]: row for row in rows}


# --------------------------------------------------------------------------- course page


def filter_and_sort(
    rows: list[dict],
    category: str | None = None,
    worsened: bool = False,
    risk_band: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> list[dict]:
    """The course page's rows after its filters and sort (the CSV gets the same)."""
    shown = [
        r
        for r in rows
        if (not category or r["category"] == category)
        and (not risk_band or r["risk_band"] == risk_band)
        and (
            not worsened
            or r["change_direction"] == "worsened"
            or r["previous_run_direction"] == "worsened"
        )
    ]
    if sort in SORTABLE:

        def key(row):
            value = row[sort]
            if sort == "category":
                value = _SEVERITY.get(value)
            elif sort == "risk_band":
                value = _RISK.get(value)
            elif isinstance(value, str):
                value = value.lower()
            # missing values last in either direction
            return (value is None) != descending, value if value is not None else 0

        shown = sorted(shown, key=key, reverse=descending)
    return shown


#: the outreach-outcome groups, in the order the course page shows them
CONTACT_GROUPS = ("contacted", "not_contacted_no_chat", "not_contacted_with_chat")


def outreach_outcomes(run: Run, marts: str, courseid: int) -> list[dict]:
    """Did contacting help (mart_outreach_outcome_summary): the course's rows and the
    site's, per contact group. Call only after the course passed the access rule."""
    rows = run(
        f"""
        select scope, courseid, contact_group, n_transitions, n_observable_7d,
               n_active_within_7d, share_active_within_7d, n_observable_14d,
               n_active_within_14d, share_active_within_14d
        from {marts}.mart_outreach_outcome_summary
        where (scope = 'course' and courseid = %s) or scope = 'site'
        """,
        (courseid,),
    )
    order = {g: i for i, g in enumerate(CONTACT_GROUPS)}
    return sorted(rows, key=lambda r: (r["scope"] != "course", order.get(r["contact_group"], 9)))
