"""The warehouse side of the sender: read the outbox mart, keep the delivery log.

The log ``<log_schema>.notification_deliveries`` has one row per attempt to send
one outbox row (primary key ``outbox_id, attempt_no``). It lives in its own
schema (``notifications`` by default), which dbt never builds nor drops, and is
created by the sender when missing. Statuses:

``sending``          written and committed *before* the API call
``sent``             Telegram accepted the message (``telegram_message_id``)
``retry``            not sent (429, 5xx, network, misconfiguration): the next run tries again
``failed_permanent`` Telegram refused it for good (chat not found, bot blocked): never retried
``unknown_outcome``  the call may have gone out but its result was not recorded (a run died
                     between sending and recording, or no answer came): never resent
                     automatically; a human checks and may ``--requeue`` it
``requeued``         a human allowed one more try after failed_permanent / unknown_outcome

Works on DuckDB and PostgreSQL (psycopg2, autocommit, an advisory lock keeps
senders from running concurrently). On DuckDB the warehouse file is opened for
each read or write and closed right after (waiting a while when a dbt build
holds it), so the file's write lock is never held while the sender waits on
Telegram or sleeps; a lock file ``<warehouse>.notify.lock`` keeps two senders
from running at once.

Manual messages (:mod:`early_warning.notify.manual`) share the log: their
``outbox_id`` is ``manual:<enrolment_id>:<n>``, ``transition`` is ``manual`` and
``sent_by`` names the curator.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from early_warning.warehouse import PgSettings, WarehouseError, connect, dsn_settings

OUTBOX_RELATION = "mart_notification_outbox"
LOG_TABLE = "notification_deliveries"
BUILD_HINT = "dbt build --select +mart_notification_outbox"

#: Statuses after which an outbox row is not sent again by the sender on its own.
HOLD_STATUSES = frozenset({"sent", "failed_permanent", "unknown_outcome", "sending"})
#: Statuses after which the next run may try the row (again).
OPEN_STATUSES = frozenset({"retry", "requeued"})

OUTBOX_COLUMNS: tuple[str, ...] = (
    "outbox_id",
    "enrolment_id",
    "courseid",
    "course_fullname",
    "userid",
    "student_name",
    "course_week",
    "transition",
    "from_value",
    "to_value",
    "chat_id",
    "lang",
    "message_text",
    "can_send",
)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ADVISORY_LOCK_KEY = 7_406_118_015  # any constant: one sender per PostgreSQL database
#: DuckDB's in-process database cache races when one thread opens a file while another
#: closes its last connection to it ("already attached"): opens and closes take turns
_DUCKDB_OPEN_CLOSE = threading.Lock()
#: outbox_id prefix of the manual messages (early_warning.notify.manual)
MANUAL_PREFIX = "manual:"
#: Placeholder syntax of seeds/notification_templates.csv (for outboxes built before
#: mart_notification_outbox had render_problem)
_PLACEHOLDER = re.compile(
    r"\{(greeting|next_step|days_inactive|due_year|due_month|due_day|due_time|activity|course|"
    r"firstname)\}"
)


def unfilled_placeholder(text: str | None) -> str | None:
    """The first template placeholder left in ``text`` (None when there is none)."""
    match = _PLACEHOLDER.search(text or "")
    return match.group(0) if match else None


class StoreError(RuntimeError):
    """The outbox cannot be read or the log cannot be written (message says what to do)."""


@dataclass(frozen=True)
class OutboxRow:
    outbox_id: str
    enrolment_id: str
    courseid: int
    course_fullname: str | None
    userid: int
    student_name: str | None
    course_week: int
    transition: str
    from_value: str | None
    to_value: str | None
    chat_id: str | None
    lang: str
    message_text: str
    can_send: bool
    render_problem: str | None = None  # why the message cannot be sent as rendered


@dataclass
class DeliveryState:
    """What the log says about one outbox row."""

    max_attempt_no: int = 0
    latest_status: str | None = None
    statuses: set[str] = field(default_factory=set)

    @property
    def ever_sent(self) -> bool:
        return "sent" in self.statuses

    @property
    def may_send(self) -> bool:
        """True when the sender may (re)try the row: never sent and the last word is open."""
        return not self.ever_sent and (
            self.latest_status is None or self.latest_status in OPEN_STATUSES
        )


def _check_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name or ""):
        raise StoreError(f"not a plain schema name: {name!r}")
    return name


class DeliveryStore:
    """Outbox and delivery log in one warehouse connection (DuckDB or psycopg2)."""

    def __init__(
        self,
        connection: Any,
        engine: str,
        marts_schema: str = "marts",
        log_schema: str = "notifications",
        read_only: bool = False,
        path: str | None = None,
        lock_wait: float = 60.0,
    ) -> None:
        if engine not in ("duckdb", "postgres"):
            raise ValueError(f"engine must be duckdb or postgres, not {engine!r}")
        #: PostgreSQL: the connection; DuckDB: the connection of the open session, else None
        self.connection = connection
        self.engine = engine
        #: DuckDB: the warehouse file, opened per statement or per session()
        self.path = str(path) if path is not None else None
        #: DuckDB: seconds to wait for the file while a dbt build (or another writer) holds it
        self.lock_wait = lock_wait
        self._session_depth = 0
        self._lock_file = None
        self.marts_schema = _check_identifier(marts_schema)
        self.log_schema = _check_identifier(log_schema)
        self.read_only = read_only
        self.outbox_relation = f"{self.marts_schema}.{OUTBOX_RELATION}"
        self.log_relation = f"{self.log_schema}.{LOG_TABLE}"

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open_duckdb(
        cls, path, read_only: bool = False, lock_wait: float = 60.0, **kwargs
    ) -> DeliveryStore:
        """Open on a DuckDB file. Nothing stays open: each statement (or session()) opens
        the file and closes it, waiting up to ``lock_wait`` seconds while it is busy."""
        store = cls(
            None, "duckdb", read_only=read_only, path=str(path), lock_wait=lock_wait, **kwargs
        )
        with store.session():  # fail early, and clearly, when the file cannot be opened
            pass
        return store

    def _connect_duckdb(self):
        import duckdb

        deadline = time.monotonic() + max(self.lock_wait, 0.0)
        delay = 0.05
        while True:
            try:
                with _DUCKDB_OPEN_CLOSE:
                    return duckdb.connect(self.path, read_only=self.read_only)
            except duckdb.Error as error:
                text = str(error).lower()
                busy = "lock" in text or "already attached" in text
                if not busy or time.monotonic() >= deadline:
                    hint = (
                        f"another process (a dbt build?) held it for more than {self.lock_wait:g} s"
                        if busy
                        else "is it a DuckDB warehouse?"
                    )
                    raise StoreError(
                        f"cannot open the DuckDB warehouse {self.path}: {error} ({hint}; "
                        "try again when the build is done)"
                    ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    @contextlib.contextmanager
    def session(self):
        """Hold one connection for the block (DuckDB: the file is locked meanwhile, so
        never call the network inside); PostgreSQL: the store's connection, unchanged."""
        if self.engine != "duckdb":
            yield self
            return
        if self._session_depth == 0:
            self.connection = self._connect_duckdb()
        self._session_depth += 1
        try:
            yield self
        finally:
            self._session_depth -= 1
            if self._session_depth == 0:
                connection, self.connection = self.connection, None
                with _DUCKDB_OPEN_CLOSE:
                    connection.close()

    @classmethod
    def open_postgres(
        cls, settings: PgSettings | str, read_only: bool = False, **kwargs
    ) -> DeliveryStore:
        """Open on PostgreSQL: early_warning.warehouse settings, or a psycopg2 DSN."""
        if isinstance(settings, str):
            settings = dsn_settings(settings)
        try:
            connection = connect(settings)
        except WarehouseError as error:
            # the message names host/database/user, never the password
            raise StoreError(str(error)) from error
        connection.autocommit = True
        return cls(connection, "postgres", read_only=read_only, **kwargs)

    def close(self) -> None:
        # Release the sender lock before closing: the server drops a closed session's
        # advisory locks only when its backend exits, which can lag behind close(), and a
        # rerun connecting in that gap would find the lock still taken.
        if self.engine == "postgres" and getattr(self, "_holds_lock", False):
            with contextlib.suppress(Exception):  # the connection may already be broken
                self._execute("select pg_advisory_unlock(%s)", (_ADVISORY_LOCK_KEY,))
            self._holds_lock = False
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    # --- SQL helpers ---------------------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement (placeholders ``%s``) in its own transaction; rows if any."""
        if self.engine == "duckdb":
            with self.session():
                result = self.connection.execute(sql.replace("%s", "?"), list(params))
                return result.fetchall() if result.description else []
        with self.connection.cursor() as cursor:
            cursor.execute(sql, tuple(params))
            return cursor.fetchall() if cursor.description else []

    def _errors(self) -> tuple[type[BaseException], ...]:
        if self.engine == "duckdb":
            import duckdb

            return (duckdb.Error,)
        import psycopg2

        return (psycopg2.Error,)

    def _column_exists(self, schema: str, table: str, column: str) -> bool:
        rows = self._execute(
            "select count(*) from information_schema.columns "
            "where table_schema = %s and table_name = %s and column_name = %s",
            (schema, table, column),
        )
        return bool(rows and rows[0][0])

    def _table_exists(self, schema: str, table: str) -> bool:
        rows = self._execute(
            "select count(*) from information_schema.tables "
            "where table_schema = %s and table_name = %s",
            (schema, table),
        )
        return bool(rows and rows[0][0])

    # --- the log -------------------------------------------------------------------------

    def log_exists(self) -> bool:
        return self._table_exists(self.log_schema, LOG_TABLE)

    def ensure_log(self) -> None:
        """Create the log schema and table when missing (never drops anything). Safe when
        several processes do it at once (the loser of a creation race finds the table)."""
        if self.read_only:
            raise StoreError("the store is read-only")
        if self.log_exists() and self._column_exists(self.log_schema, LOG_TABLE, "sent_by"):
            return  # nothing to do (and no DDL: the web app's role may not own the log)
        for attempt in range(5):
            try:
                self._create_log()
                return
            except self._errors():
                # another process or thread is creating it right now: let it finish
                if self.engine == "postgres" and not self.connection.autocommit:
                    self.connection.rollback()
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _create_log(self) -> None:
        self._execute(f"create schema if not exists {self.log_schema}")
        self._execute(
            f"""
            create table if not exists {self.log_relation} (
                outbox_id varchar not null,
                attempt_no integer not null,
                run_id varchar not null,
                status varchar not null,
                started_at timestamp not null,
                finished_at timestamp,
                http_status integer,
                telegram_message_id bigint,
                error_description varchar,
                enrolment_id varchar,
                courseid bigint,
                userid bigint,
                course_week bigint,
                transition varchar,
                chat_id varchar,
                lang varchar,
                message_text varchar,
                sent_by varchar,
                primary key (outbox_id, attempt_no)
            )
            """
        )
        if not self._column_exists(self.log_schema, LOG_TABLE, "sent_by"):
            # a log created before manual messages existed
            self._execute(
                f"alter table {self.log_relation} add column if not exists sent_by varchar"
            )

    def acquire_lock(self) -> None:
        """One sender at a time: an advisory lock (PostgreSQL) or a lock file beside the
        DuckDB warehouse (``<path>.notify.lock``, released when the process ends)."""
        if self.engine == "duckdb":
            import fcntl

            lock_file = open(f"{self.path}.notify.lock", "a")  # noqa: SIM115 -- held open
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock_file.close()
                raise StoreError(f"another notification sender is running on {self.path}") from None
            self._lock_file = lock_file
            return
        if self.engine == "postgres":
            [(locked,)] = self._execute("select pg_try_advisory_lock(%s)", (_ADVISORY_LOCK_KEY,))
            if not locked:
                raise StoreError("another notification sender is running on this database")
            self._holds_lock = True

    def delivery_states(self) -> dict[str, DeliveryState]:
        """Per outbox_id: highest attempt_no, latest status and every status seen."""
        if not self.log_exists():
            return {}
        states: dict[str, DeliveryState] = {}
        rows = self._execute(
            f"select outbox_id, attempt_no, status from {self.log_relation} "
            "order by outbox_id, attempt_no"
        )
        for outbox_id, attempt_no, status in rows:
            state = states.setdefault(outbox_id, DeliveryState())
            state.max_attempt_no = max(state.max_attempt_no, int(attempt_no))
            state.latest_status = status
            state.statuses.add(status)
        return states

    def unfinished_attempts(self) -> list[tuple]:
        """(outbox_id, attempt_no, chat_id, started_at) still 'sending': left by a run that died."""
        if not self.log_exists():
            return []
        return self._execute(
            f"select outbox_id, attempt_no, chat_id, started_at from {self.log_relation} "
            "where status = 'sending' and outbox_id not like %s "
            "order by started_at, outbox_id",
            (MANUAL_PREFIX + "%",),
        )

    def mark_unfinished_unknown(self, now: datetime) -> list[tuple]:
        """Turn 'sending' rows of dead runs into 'unknown_outcome' (never resent); return them.

        Only called while holding the sender lock, so no live run has 'sending' rows.
        """
        unfinished = self.unfinished_attempts()
        if unfinished:
            self._execute(
                f"update {self.log_relation} set status = 'unknown_outcome', finished_at = %s, "
                "error_description = %s where status = 'sending' and outbox_id not like %s",
                (
                    now,
                    "the sender stopped between calling Telegram and recording the answer: "
                    "the message may have been delivered, so it is not resent (at most once)",
                    MANUAL_PREFIX + "%",
                ),
            )
        return unfinished

    def start_attempt(
        self,
        row: OutboxRow,
        attempt_no: int,
        run_id: str,
        now: datetime,
        sent_by: str | None = None,
    ) -> None:
        """Record (and commit) the attempt as 'sending' before the API is called.

        The primary key (outbox_id, attempt_no) makes this the claim: of two writers of
        the same attempt, one gets a unique-key error (see :meth:`is_duplicate_key`)."""
        self._execute(
            f"insert into {self.log_relation} (outbox_id, attempt_no, run_id, status, started_at, "
            "enrolment_id, courseid, userid, course_week, transition, chat_id, lang, message_text, "
            "sent_by) values (%s, %s, %s, 'sending', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                row.outbox_id,
                attempt_no,
                run_id,
                now,
                row.enrolment_id,
                row.courseid,
                row.userid,
                row.course_week,
                row.transition,
                row.chat_id,
                row.lang,
                row.message_text,
                sent_by,
            ),
        )

    def is_duplicate_key(self, error: BaseException) -> bool:
        """True when ``error`` says a row with the same primary key exists (or was being
        written by a concurrent transaction): someone else claimed the attempt."""
        if self.engine == "postgres":
            return getattr(error, "pgcode", None) in ("23505", "40001", "40P01")
        text = str(error).lower()
        return "duplicate key" in text or "primary key" in text or "conflict" in text

    def finish_attempt(
        self,
        outbox_id: str,
        attempt_no: int,
        status: str,
        now: datetime,
        http_status: int | None = None,
        message_id: int | None = None,
        error_description: str | None = None,
    ) -> None:
        self._execute(
            f"update {self.log_relation} set status = %s, finished_at = %s, http_status = %s, "
            "telegram_message_id = %s, error_description = %s "
            "where outbox_id = %s and attempt_no = %s",
            (status, now, http_status, message_id, error_description, outbox_id, attempt_no),
        )

    def requeue(self, outbox_id: str, run_id: str, now: datetime, note: str) -> str:
        """Let the next run try a held row again (a human's decision); returns what was done."""
        if outbox_id.startswith(MANUAL_PREFIX):
            return f"{outbox_id}: refused, a manual message is never resent (send a new one)"
        states = self.delivery_states()
        state = states.get(outbox_id)
        if state is None:
            return f"{outbox_id}: nothing to requeue (never attempted)"
        if state.ever_sent:
            return f"{outbox_id}: refused, it was sent already"
        if state.latest_status in OPEN_STATUSES:
            return f"{outbox_id}: already open for the next run ({state.latest_status})"
        if state.latest_status == "sending":
            return f"{outbox_id}: refused, an attempt is still in progress or unreconciled"
        self._execute(
            f"insert into {self.log_relation} (outbox_id, attempt_no, run_id, status, started_at, "
            "finished_at, error_description) values (%s, %s, %s, 'requeued', %s, %s, %s)",
            (outbox_id, state.max_attempt_no + 1, run_id, now, now, note),
        )
        return f"{outbox_id}: requeued after {state.latest_status}"

    # --- the outbox ----------------------------------------------------------------------

    def outbox_rows(self) -> list[OutboxRow]:
        """Every row of the outbox mart (sendable or not), in a stable order."""
        if not self._table_exists(self.marts_schema, OUTBOX_RELATION):
            raise StoreError(f"no table {self.outbox_relation}: build it first ({BUILD_HINT})")
        has_problem = self._column_exists(self.marts_schema, OUTBOX_RELATION, "render_problem")
        problem = "render_problem" if has_problem else "cast(null as varchar)"
        try:
            rows = self._execute(
                f"select {', '.join(OUTBOX_COLUMNS)}, {problem} from {self.outbox_relation} "
                "order by courseid, userid, outbox_id"
            )
        except self._errors() as error:
            raise StoreError(
                f"cannot read {self.outbox_relation}: {error} ({BUILD_HINT})"
            ) from None
        result = []
        for *values, render_problem in rows:
            row = OutboxRow(*values, render_problem=render_problem)
            if not has_problem and unfilled_placeholder(row.message_text):
                # an outbox built before render_problem: refuse what looks unrendered
                row = OutboxRow(*values, render_problem="unfilled_placeholder")
            if row.render_problem is not None and row.can_send:
                row = OutboxRow(*values[:-1], False, render_problem=row.render_problem)
            result.append(row)
        return result

    def outbox_as_of(self) -> datetime | None:
        rows = self._execute(f"select max(as_of) from {self.outbox_relation}")
        return rows[0][0] if rows else None
