"""The Moodle source contract: the raw tables and columns the project reads.

One source of truth for the demo generator, file exports, loaders and tests.
Column names are Moodle's own; timestamps are Unix seconds (``int64``).
Types are the logical types written to Parquet:

* ``int64``  -- Moodle ``bigint``/``int``/``tinyint`` columns (ids, flags, times)
* ``float64`` -- Moodle ``numeric`` columns (grades)
* ``string`` -- Moodle ``varchar``/``text`` columns
"""

from __future__ import annotations

# table name without prefix -> ordered list of (column, logical type)
TABLES: dict[str, list[tuple[str, str]]] = {
    "course": [
        ("id", "int64"),
        ("category", "int64"),
        ("fullname", "string"),
        ("shortname", "string"),
        ("startdate", "int64"),
        ("enddate", "int64"),  # 0 = no end date (Moodle's convention)
        ("visible", "int64"),
        ("enablecompletion", "int64"),
    ],
    "course_categories": [
        ("id", "int64"),
        ("name", "string"),
        ("parent", "int64"),
    ],
    "user": [
        ("id", "int64"),
        ("username", "string"),
        ("firstname", "string"),
        ("lastname", "string"),
        ("email", "string"),
        ("deleted", "int64"),
        ("suspended", "int64"),
        ("lastaccess", "int64"),
        ("timecreated", "int64"),
        ("description", "string"),
        ("picture", "int64"),
        ("institution", "string"),
        ("department", "string"),
        ("city", "string"),
        ("country", "string"),
        ("lang", "string"),
    ],
    "enrol": [
        ("id", "int64"),
        ("courseid", "int64"),
        ("status", "int64"),  # 0 enabled, 1 disabled
        ("enrol", "string"),  # manual, self, cohort, ...
    ],
    "user_enrolments": [
        ("id", "int64"),
        ("enrolid", "int64"),
        ("userid", "int64"),
        ("status", "int64"),  # 0 active, 1 suspended
        ("timestart", "int64"),  # 0 = no start restriction
        ("timeend", "int64"),  # 0 = no end
        ("timecreated", "int64"),
    ],
    "role": [
        ("id", "int64"),
        ("shortname", "string"),
    ],
    "context": [
        ("id", "int64"),
        ("contextlevel", "int64"),  # 10 system, 40 category, 50 course, 70 module
        ("instanceid", "int64"),
    ],
    "role_assignments": [
        ("id", "int64"),
        ("roleid", "int64"),
        ("contextid", "int64"),
        ("userid", "int64"),
    ],
    "modules": [
        ("id", "int64"),
        ("name", "string"),  # assign, quiz, forum, resource, page, url, ...
    ],
    "course_modules": [
        ("id", "int64"),
        ("course", "int64"),
        ("module", "int64"),
        ("instance", "int64"),
        ("section", "int64"),
        ("visible", "int64"),
        ("added", "int64"),
    ],
    "logstore_standard_log": [
        ("id", "int64"),
        ("eventname", "string"),
        ("component", "string"),
        ("action", "string"),
        ("target", "string"),
        ("crud", "string"),  # c r u d
        ("edulevel", "int64"),  # 0 other, 1 teaching, 2 participating
        ("contextid", "int64"),
        ("contextlevel", "int64"),
        ("contextinstanceid", "int64"),
        ("userid", "int64"),
        ("courseid", "int64"),
        ("relateduserid", "int64"),
        ("anonymous", "int64"),
        ("timecreated", "int64"),
        ("origin", "string"),
    ],
    "grade_items": [
        ("id", "int64"),
        ("courseid", "int64"),
        ("itemtype", "string"),  # course, mod, manual, category
        ("itemmodule", "string"),
        ("iteminstance", "int64"),
        ("grademax", "float64"),
        ("gradepass", "float64"),
    ],
    "grade_grades": [
        ("id", "int64"),
        ("itemid", "int64"),
        ("userid", "int64"),
        ("finalgrade", "float64"),
        ("timemodified", "int64"),
    ],
    "course_completions": [
        ("id", "int64"),
        ("userid", "int64"),
        ("course", "int64"),
        ("timeenrolled", "int64"),
        ("timestarted", "int64"),
        ("timecompleted", "int64"),  # NULL = not completed
    ],
    "course_completion_criteria": [
        ("id", "int64"),
        ("course", "int64"),
        ("criteriatype", "int64"),
    ],
    "assign": [
        ("id", "int64"),
        ("course", "int64"),
        ("name", "string"),
        ("duedate", "int64"),  # 0 = no due date
        ("cutoffdate", "int64"),
    ],
    "assign_submission": [
        ("id", "int64"),
        ("assignment", "int64"),
        ("userid", "int64"),
        ("status", "string"),  # new, draft, submitted, reopened
        ("timemodified", "int64"),
        ("latest", "int64"),
    ],
    "quiz": [
        ("id", "int64"),
        ("course", "int64"),
        ("name", "string"),
        ("timeclose", "int64"),
        ("sumgrades", "float64"),
        ("grade", "float64"),
    ],
    "quiz_attempts": [
        ("id", "int64"),
        ("quiz", "int64"),
        ("userid", "int64"),
        ("attempt", "int64"),
        ("state", "string"),  # inprogress, overdue, finished, abandoned
        ("timestart", "int64"),
        ("timefinish", "int64"),
        ("sumgrades", "float64"),
    ],
    "ai_action_register": [
        ("id", "int64"),
        ("actionname", "string"),
        ("actionid", "int64"),
        ("success", "int64"),
        ("userid", "int64"),
        ("contextid", "int64"),
        ("provider", "string"),
        ("model", "string"),
        ("errorcode", "int64"),
        ("errormessage", "string"),
        ("timecreated", "int64"),
        ("timecompleted", "int64"),
    ],
    "user_preferences": [
        ("id", "int64"),
        ("userid", "int64"),
        ("name", "string"),
        ("value", "string"),
    ],
    # the site's registration with the moodle.org sites directory: the AI usage report
    # counts from its last confirmed update (never read: token, secret)
    "registration_hubs": [
        ("id", "int64"),
        ("huburl", "string"),
        ("confirmed", "int64"),
        ("timemodified", "int64"),
    ],
}

#: Tables a Moodle site may lack: a missing one is read as empty, with one warning at the
#: start of the run and a row in mart_data_quality (README "Source contract").
#: ai_action_register exists from Moodle 4.5, registration_hubs holds rows only on
#: registered sites, the quiz tables only where the quiz module is installed, and
#: user_preferences is only needed for the Telegram chat ids.
OPTIONAL_TABLES: frozenset[str] = frozenset(
    {"ai_action_register", "registration_hubs", "quiz", "quiz_attempts", "user_preferences"}
)

#: Columns the pipeline reads but can do without (read as NULL when an export lacks them):
#: table -> columns. Every other column the staging models read is required; columns of
#: TABLES that no staging model reads (user.description, user.picture) are not checked.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    # profile fields: only shown; lang picks the message language (NULL: English)
    "user": frozenset({"lang", "institution", "department", "city", "country", "lastaccess"}),
    "logstore_standard_log": frozenset({"origin"}),
    "assign": frozenset({"cutoffdate"}),
    # ai_action_register.model appears with Moodle 5.0's per-model report (NULL: 'unknown');
    # who did what, and the error text, never leave staging
    "ai_action_register": frozenset({"model", "actionid", "userid", "contextid", "errormessage"}),
}

#: Columns of TABLES the pipeline never reads (not checked, not required).
UNUSED_COLUMNS: dict[str, frozenset[str]] = {
    "user": frozenset({"description", "picture"}),
}

#: Moodle's preference name for the Telegram chat id (message_telegram plugin).
TELEGRAM_CHAT_PREFERENCE = "message_processor_telegram_chatid"


def column_names(table: str) -> list[str]:
    """The ordered column names of one contract table."""
    return [name for name, _ in TABLES[table]]


def required_columns(table: str) -> list[str]:
    """The columns of one table that an export must have (the pipeline reads them)."""
    skip = OPTIONAL_COLUMNS.get(table, frozenset()) | UNUSED_COLUMNS.get(table, frozenset())
    return [name for name in column_names(table) if name not in skip]


def read_columns(table: str) -> list[str]:
    """The columns of one table the pipeline reads (required or optional)."""
    unused = UNUSED_COLUMNS.get(table, frozenset())
    return [name for name in column_names(table) if name not in unused]
