"""Deliver the outbox through the Bot API, each row at most once.

Protocol, for each sendable outbox row the log allows (never sent, last status
open):

1. wait for the rate limiter (global messages per second, and one message per
   chat per ``per_chat_interval`` seconds, as Telegram asks);
2. insert the attempt as ``sending`` and commit;
3. call ``sendMessage``;
4. update the attempt with the answer: ``sent`` / ``failed_permanent`` /
   ``unknown_outcome`` / ``retry``.

A run that dies between 3 and 4 leaves a ``sending`` row. The next run turns it
into ``unknown_outcome`` and does **not** resend it: a student may miss one
message (a human can check and ``--requeue`` it) but never gets the same one
twice. At most once beats at least once for messages to people. The same holds
when the request was sent but no answer came (read timeout, connection reset).

Retries within a run: 429 waits Telegram's ``retry_after`` (pausing every send,
bounded by ``max_retry_after``; longer waits stop the run) and tries again;
5xx and connection failures (the request never reached Telegram) back off
exponentially, at most ``max_attempts`` attempts per row and run, then the row is
left as ``retry`` for the next run. 400/403 are permanent. 401/404 mean a wrong
token or API base: the run stops without marking any message failed. After
``max_consecutive_failures`` calls in a row that did not reach Telegram or got a
5xx (Telegram unreachable), the run stops (exit 3): the rows are left for the next run.

A row whose message is not fully rendered (``render_problem``: an unfilled
placeholder, no template, too long) is never sent; the run lists it (exit 3).

On DuckDB the warehouse file is opened only for each read or write
(:class:`~early_warning.notify.store.DeliveryStore`): the sender never holds the
warehouse's write lock while it waits on Telegram or sleeps, so a dbt build can run.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from early_warning.notify.store import DeliveryStore, OutboxRow
from early_warning.notify.telegram import BotApi, Outcome, SendResult

#: Log status recorded for each API outcome.
STATUS_OF_OUTCOME = {
    Outcome.SENT: "sent",
    Outcome.PERMANENT: "failed_permanent",
    Outcome.UNKNOWN: "unknown_outcome",
    Outcome.RATE_LIMITED: "retry",
    Outcome.TRANSIENT: "retry",
    Outcome.FATAL: "retry",
}


def utc_now() -> datetime:
    """Naive UTC timestamp, as stored in the log."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class SenderSettings:
    rate_per_second: float = 25.0  # Telegram allows about 30 messages per second per bot
    per_chat_interval: float = 1.0  # and about one per second per chat
    max_attempts: int = 5  # per row and run (429, 5xx, connection failures)
    backoff_base: float = 1.0  # seconds; doubles after each transient failure
    backoff_max: float = 60.0
    max_retry_after: float = 120.0  # longer 429 waits stop the run (try later)
    limit: int | None = None  # at most this many rows attempted in the run
    max_consecutive_failures: int = 4  # network/5xx failures in a row that stop the run


class RateLimiter:
    """Spaces sends globally and per chat; ``pause`` holds every send (429)."""

    def __init__(
        self,
        per_second: float,
        per_chat_interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_chat_interval = max(per_chat_interval, 0.0)
        self.clock = clock
        self.sleep = sleep
        self._next_any = float("-inf")
        self._next_chat: dict[str, float] = {}

    def wait(self, chat_id: str) -> float:
        """Sleep until a message to ``chat_id`` may go; returns the seconds slept."""
        now = self.clock()
        ready = max(self._next_any, self._next_chat.get(chat_id, float("-inf")))
        slept = 0.0
        if ready > now:
            slept = ready - now
            self.sleep(slept)
            now = self.clock()
        self._next_any = now + self.interval
        self._next_chat[chat_id] = now + self.per_chat_interval
        return slept

    def pause(self, seconds: float) -> None:
        self._next_any = max(self._next_any, self.clock() + seconds)


class RunStopped(RuntimeError):
    """The run cannot go on: bad token or API base (fatal), or a long flood wait."""

    def __init__(self, message: str, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass
class RunSummary:
    run_id: str
    dry_run: bool = False
    outbox_rows: int = 0
    outbox_as_of: datetime | None = None
    without_chat_id: list[OutboxRow] = field(default_factory=list)
    not_rendered: list[OutboxRow] = field(default_factory=list)  # render_problem: never sent
    already: Counter = field(default_factory=Counter)  # latest status of rows not attempted
    to_send: list[OutboxRow] = field(default_factory=list)
    results: dict[str, str] = field(default_factory=dict)  # outbox_id -> final status this run
    reconciled_unknown: list[tuple] = field(default_factory=list)  # dead runs' 'sending' rows
    stopped: str | None = None
    stopped_fatal: bool = False

    def count(self, status: str) -> int:
        return sum(1 for s in self.results.values() if s == status)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.stopped
            or self.not_rendered
            or self.reconciled_unknown
            or self.count("retry")
            or self.count("unknown_outcome")
        )

    @property
    def exit_code(self) -> int:
        """0: all done; 1: stopped by a configuration error; 3: rows left for the next run
        or outcomes a human should check."""
        if self.stopped_fatal:
            return 1
        return 3 if self.needs_attention else 0


class Sender:
    def __init__(
        self,
        store: DeliveryStore,
        api: BotApi | None,
        settings: SenderSettings | None = None,
        out: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
        after_send: Callable[[OutboxRow, SendResult], None] | None = None,
    ) -> None:
        self.store = store
        self.api = api
        self.settings = settings or SenderSettings()
        self.out = out
        self.sleep = sleep
        self.now = now
        #: called after the API answered and before the answer is recorded (tests: crashes)
        self.after_send = after_send
        self.limiter = RateLimiter(
            self.settings.rate_per_second, self.settings.per_chat_interval, clock, sleep
        )
        self.consecutive_failures = 0

    # --- planning --------------------------------------------------------------------------

    def plan(self, summary: RunSummary) -> dict:
        """Fill ``summary`` with what the outbox and the log say; returns the log states."""
        with self.store.session():  # DuckDB: one opening of the file for the whole plan
            rows = self.store.outbox_rows()
            states = self.store.delivery_states()
            summary.outbox_as_of = self.store.outbox_as_of()
        summary.outbox_rows = len(rows)
        for row in rows:
            if row.render_problem is not None:
                summary.not_rendered.append(row)
                continue
            if not row.can_send:
                summary.without_chat_id.append(row)
                continue
            state = states.get(row.outbox_id)
            if state is None or state.may_send:
                summary.to_send.append(row)
            else:
                summary.already["sent" if state.ever_sent else state.latest_status] += 1
        if self.settings.limit is not None:
            summary.to_send = summary.to_send[: max(self.settings.limit, 0)]
        return states

    def dry_run(self) -> RunSummary:
        """What a run would send now; writes nothing."""
        summary = RunSummary(run_id="dry-run", dry_run=True)
        summary.reconciled_unknown = self.store.unfinished_attempts()
        self.plan(summary)
        return summary

    # --- sending ---------------------------------------------------------------------------

    def run(self) -> RunSummary:
        if self.api is None:
            raise ValueError("a real run needs a BotApi")
        summary = RunSummary(run_id=uuid.uuid4().hex[:12])
        self.store.acquire_lock()
        with self.store.session():
            self.store.ensure_log()
            summary.reconciled_unknown = self.store.mark_unfinished_unknown(self.now())
        for outbox_id, attempt_no, _, started_at in summary.reconciled_unknown:
            self.out(
                f"unknown outcome: {outbox_id} (attempt {attempt_no}, started {started_at}) was "
                "being sent when a run stopped; not resent -- check with the student, "
                "then --requeue it if it did not arrive"
            )
        states = self.plan(summary)
        total = len(summary.to_send)
        self.out(
            f"run {summary.run_id}: {summary.outbox_rows} outbox rows (as of "
            f"{summary.outbox_as_of}), {total} to send, "
            f"{len(summary.without_chat_id)} without a Telegram chat id"
        )
        for row in summary.not_rendered:
            self.out(
                f"not sent: {row.outbox_id}: the message is not fully rendered "
                f"({row.render_problem}); fix seeds/notification_templates.csv and rebuild"
            )
        for index, row in enumerate(summary.to_send, start=1):
            state = states.get(row.outbox_id)
            first_attempt = (state.max_attempt_no if state else 0) + 1
            try:
                status = self._deliver(row, first_attempt, f"[{index}/{total}]", summary)
            except RunStopped as stop:
                summary.stopped = str(stop)
                summary.stopped_fatal = stop.fatal
                self.out(f"stopped: {stop}")
                break
            summary.results[row.outbox_id] = status
        return summary

    def _deliver(self, row: OutboxRow, attempt_no: int, progress: str, summary) -> str:
        settings = self.settings
        for attempt_in_run in range(1, settings.max_attempts + 1):
            self.limiter.wait(row.chat_id)
            self.store.start_attempt(row, attempt_no, summary.run_id, self.now())
            result = self.api.send_message(row.chat_id, row.message_text)
            if self.after_send is not None:
                self.after_send(row, result)
            status = STATUS_OF_OUTCOME[result.outcome]
            self.store.finish_attempt(
                row.outbox_id,
                attempt_no,
                status,
                self.now(),
                http_status=result.http_status,
                message_id=result.message_id,
                error_description=result.description,
            )
            attempt_no += 1
            what = f"{progress} {row.outbox_id} -> chat {row.chat_id}"
            if result.outcome is Outcome.TRANSIENT:
                self.consecutive_failures += 1
            elif result.outcome is not Outcome.RATE_LIMITED:
                self.consecutive_failures = 0
            if result.outcome is Outcome.SENT:
                self.out(f"{what}: sent (message {result.message_id})")
                return status
            if result.outcome is Outcome.PERMANENT:
                self.out(f"{what}: failed permanently: {result.description}")
                return status
            if result.outcome is Outcome.UNKNOWN:
                self.out(f"{what}: unknown outcome, not resent: {result.description}")
                return status
            if result.outcome is Outcome.FATAL:
                raise RunStopped(
                    f"Bot API answered {result.http_status}: {result.description}", fatal=True
                )
            max_failures = settings.max_consecutive_failures
            if (
                result.outcome is Outcome.TRANSIENT
                and max_failures
                and self.consecutive_failures >= max_failures
            ):
                summary.results[row.outbox_id] = "retry"
                raise RunStopped(
                    f"{self.consecutive_failures} calls in a row failed ({result.description}): "
                    "Telegram looks unreachable; the rows are left for the next run",
                    fatal=False,
                )
            if attempt_in_run == settings.max_attempts:
                break
            if result.outcome is Outcome.RATE_LIMITED:
                wait = float(result.retry_after or 1.0)
                if wait > settings.max_retry_after:
                    raise RunStopped(
                        f"Telegram asks to wait {wait:g} s (more than {settings.max_retry_after:g}"
                        " s): run again later",
                        fatal=False,
                    )
                self.out(f"{what}: 429 rate limited, waiting {wait:g} s")
                self.limiter.pause(wait)
            else:
                delay = min(settings.backoff_max, settings.backoff_base * 2 ** (attempt_in_run - 1))
                label = f"HTTP {result.http_status}" if result.http_status else "network error"
                self.out(f"{what}: {label} ({result.description}), retrying in {delay:g} s")
                self.sleep(delay)
        self.out(f"{progress} {row.outbox_id}: not sent, left for the next run")
        return "retry"


def format_summary(summary: RunSummary) -> str:
    """The final report of a run (or a dry run)."""
    lines = []
    held = ", ".join(f"{n} {status}" for status, n in sorted(summary.already.items())) or "none"
    if summary.dry_run:
        lines.append(
            f"dry run: {len(summary.to_send)} message(s) would be sent; "
            f"already handled: {held}; {len(summary.without_chat_id)} row(s) without a "
            "Telegram chat id"
        )
    else:
        lines.append(
            f"summary of run {summary.run_id}: {summary.count('sent')} sent, "
            f"{summary.count('failed_permanent')} failed permanently, "
            f"{summary.count('retry')} left for the next run, "
            f"{summary.count('unknown_outcome')} with unknown outcome; "
            f"handled before: {held}; {len(summary.without_chat_id)} row(s) without a "
            "Telegram chat id (for curators)"
        )
    if summary.not_rendered:
        lines.append(
            f"{len(summary.not_rendered)} message(s) not fully rendered, not sent (fix the "
            "template, rebuild): " + ", ".join(r.outbox_id for r in summary.not_rendered)
        )
    if summary.reconciled_unknown:
        verb = "will be marked" if summary.dry_run else "marked"
        lines.append(
            f"{len(summary.reconciled_unknown)} attempt(s) of a stopped run {verb} "
            "unknown_outcome and not resent: "
            + ", ".join(str(r[0]) for r in summary.reconciled_unknown)
        )
    unknown = [o for o, s in summary.results.items() if s == "unknown_outcome"]
    if unknown:
        lines.append(
            "unknown outcome (check, then --requeue if not received): " + ", ".join(unknown)
        )
    if summary.stopped:
        lines.append(f"run stopped early: {summary.stopped}")
    return "\n".join(lines)
