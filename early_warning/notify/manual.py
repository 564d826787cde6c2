"""Manual messages: a curator contacts one student from the student card (issue 19).

The web app calls three functions; each opens nothing itself, it is given a
:class:`~early_warning.notify.store.DeliveryStore` (one per request or thread: a store
is not thread-safe) and, to send, a :class:`~early_warning.notify.telegram.BotApi`:

* :func:`prepare_manual_message` -- the draft for the form: the text prefilled from
  ``seeds/notification_templates.csv`` (part ``manual``) in the student's language,
  with the course and the next deadline filled in (rendered by dbt in
  ``marts.mart_student_contact``), whether the student can be reached (and why
  not), and the form's ``token``;
* :func:`send_manual_message` -- sends the (edited) text once;
* :func:`list_messages` -- every message of an enrolment, automatic and manual,
  with who sent it, when, and what became of it.

Guarantees, the same as the automated outbox (same log, same statuses):

* **At most once per form.** The form's ``token`` is the number the next manual
  message of the enrolment will have (1 + the manual messages logged when the card
  was shown). Sending claims ``outbox_id = 'manual:<enrolment_id>:<token>'`` by
  inserting its attempt (primary key) before Telegram is called. A double click, a
  reload that resubmits the form, or a second curator who opened the card at the
  same time claim the same id: exactly one claim succeeds, the others get
  ``status = 'duplicate'`` with the message that was sent. To send another message,
  the curator opens the card again (a new token).
* **An unknown outcome is never resent**: one attempt per claim, never retried;
  a claim left ``sending`` by a dead process is reported as ``unknown_outcome``.
* **No chat, no button**: ``ManualDraft.can_send`` is false with ``blocked_reason``.
* **Who and when**: ``sent_by`` and ``started_at``/``finished_at`` in the log.
* On DuckDB the warehouse file is locked only for the claim and the record, never
  while Telegram answers.

Access: the caller passes the user and may pass ``check_access(user, courseid) ->
bool`` (the web app enforces who sees which course); a refusal raises
:class:`AccessDenied` before anything is read or written for the student.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from early_warning.notify.sender import STATUS_OF_OUTCOME, utc_now
from early_warning.notify.store import MANUAL_PREFIX, DeliveryStore, OutboxRow, StoreError
from early_warning.notify.telegram import BotApi

CONTACT_RELATION = "mart_student_contact"
CONTACT_COLUMNS: tuple[str, ...] = (
    "enrolment_id",
    "courseid",
    "course_fullname",
    "userid",
    "student_name",
    "course_week",
    "lang",
    "chat_id",
    "can_contact",
    "contact_blocked_reason",
    "next_step_kind",
    "next_activity_name",
    "next_due_at",
    "draft_text",
)
#: Telegram's limit for one message
MAX_TEXT_LENGTH = 4096
#: a manual claim still 'sending' after this long belongs to a process that died
STALE_SENDING = timedelta(minutes=5)
_TOKEN = re.compile(r"^[1-9][0-9]{0,8}$")

CheckAccess = Callable[[str, int], bool]


class AccessDenied(PermissionError):
    """The user may not act on this course's students (the web app answers 403)."""


class ManualMessageError(ValueError):
    """The request cannot be served as given (unknown enrolment, bad token, empty text)."""


@dataclass(frozen=True)
class ManualDraft:
    """What the card's contact form shows."""

    enrolment_id: str
    courseid: int
    course_fullname: str | None
    userid: int
    student_name: str | None
    lang: str
    chat_id: str | None
    can_send: bool  # False: the button is off, blocked_reason says why
    blocked_reason: str | None
    text: str  # prefilled, editable
    token: str  # hidden form field: pass it back to send_manual_message unchanged
    next_step_kind: str | None
    next_activity_name: str | None
    next_due_at: datetime | None


@dataclass(frozen=True)
class ManualResult:
    """What became of one press of the send button."""

    outbox_id: str
    status: str  # sent | failed_permanent | unknown_outcome | retry | duplicate | refused
    detail: str  # a sentence for the curator
    sent_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    telegram_message_id: int | None = None
    text: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status == "sent"


@dataclass(frozen=True)
class MessageRecord:
    """One message of an enrolment as the log knows it (its latest attempt)."""

    outbox_id: str
    kind: str  # automatic | manual
    course_week: int | None
    transition: str | None
    status: str  # sent | failed_permanent | unknown_outcome | retry | requeued | sending
    sent_by: str | None  # the curator (manual); None for the automatic sender
    started_at: datetime | None
    finished_at: datetime | None
    telegram_message_id: int | None
    error_description: str | None
    message_text: str | None
    attempts: int


# --- reading -------------------------------------------------------------------------------


def _contact_row(store: DeliveryStore, enrolment_id: str) -> dict:
    relation = f"{store.marts_schema}.{CONTACT_RELATION}"
    if not store._table_exists(store.marts_schema, CONTACT_RELATION):
        raise StoreError(
            f"no table {relation}: build it first (dbt build --select +{CONTACT_RELATION})"
        )
    rows = store._execute(
        f"select {', '.join(CONTACT_COLUMNS)} from {relation} where enrolment_id = %s",
        (str(enrolment_id),),
    )
    if not rows:
        raise ManualMessageError(
            f"enrolment {enrolment_id} is not an active enrolment of a running course "
            f"({relation}): nothing to send"
        )
    return dict(zip(CONTACT_COLUMNS, rows[0], strict=True))


def _manual_numbers(store: DeliveryStore, enrolment_id: str) -> list[int]:
    if not store.log_exists():
        return []
    prefix = f"{MANUAL_PREFIX}{enrolment_id}:"
    rows = store._execute(
        f"select distinct outbox_id from {store.log_relation} where outbox_id like %s",
        (prefix + "%",),
    )
    numbers = []
    for (outbox_id,) in rows:
        tail = outbox_id[len(prefix) :]
        if tail.isdigit():
            numbers.append(int(tail))
    return numbers


def _check(check_access: CheckAccess | None, user: str, courseid: int) -> None:
    if check_access is not None and not check_access(user, int(courseid)):
        raise AccessDenied(f"{user} may not contact the students of course {courseid}")


def prepare_manual_message(
    store: DeliveryStore,
    enrolment_id: str,
    user: str,
    check_access: CheckAccess | None = None,
) -> ManualDraft:
    """The contact form of one enrolment (read-only; works on a read-only store)."""
    with store.session():
        row = _contact_row(store, enrolment_id)
        _check(check_access, user, row["courseid"])
        token = str(max(_manual_numbers(store, str(enrolment_id)), default=0) + 1)
    return ManualDraft(
        enrolment_id=row["enrolment_id"],
        courseid=int(row["courseid"]),
        course_fullname=row["course_fullname"],
        userid=int(row["userid"]),
        student_name=row["student_name"],
        lang=row["lang"],
        chat_id=row["chat_id"],
        can_send=bool(row["can_contact"]),
        blocked_reason=row["contact_blocked_reason"],
        text=row["draft_text"] or "",
        token=token,
        next_step_kind=row["next_step_kind"],
        next_activity_name=row["next_activity_name"],
        next_due_at=row["next_due_at"],
    )


def list_messages(
    store: DeliveryStore,
    enrolment_id: str,
    user: str | None = None,
    check_access: CheckAccess | None = None,
    courseid: int | None = None,
    now: Callable[[], datetime] = utc_now,
) -> list[MessageRecord]:
    """Every message of the enrolment (automatic and manual), oldest first.

    With ``check_access``, give ``courseid`` (the enrolment's course) and ``user``."""
    if check_access is not None:
        if courseid is None or user is None:
            raise ManualMessageError("check_access needs the user and the enrolment's courseid")
        _check(check_access, user, courseid)
    with store.session():
        if not store.log_exists():
            return []
        # requeue rows carry no enrolment_id: select by the outbox ids of the enrolment
        rows = store._execute(
            "select outbox_id, attempt_no, status, started_at, finished_at, "
            "telegram_message_id, error_description, course_week, transition, message_text, "
            f"sent_by from {store.log_relation} where outbox_id in (select outbox_id from "
            f"{store.log_relation} where enrolment_id = %s) order by outbox_id, attempt_no",
            (str(enrolment_id),),
        )
    by_id: dict[str, list[tuple]] = {}
    for row in rows:
        by_id.setdefault(row[0], []).append(row)
    records = []
    for outbox_id, attempts in by_id.items():
        first, last = attempts[0], attempts[-1]
        sent = [a for a in attempts if a[2] == "sent"]
        final = sent[-1] if sent else last
        status = final[2]
        manual = outbox_id.startswith(MANUAL_PREFIX)
        if (
            manual
            and status == "sending"
            and final[3] is not None
            and final[3] < now() - STALE_SENDING
        ):
            status = "unknown_outcome"
        records.append(
            MessageRecord(
                outbox_id=outbox_id,
                kind="manual" if manual else "automatic",
                course_week=first[7],
                transition=first[8],
                status=status,
                sent_by=first[10],
                started_at=final[3],
                finished_at=final[4],
                telegram_message_id=final[5],
                error_description=final[6],
                message_text=next((a[9] for a in attempts if a[9] is not None), None),
                attempts=sum(1 for a in attempts if a[2] != "requeued"),
            )
        )
    records.sort(key=lambda r: (r.started_at or datetime.min, r.outbox_id))
    return records


# --- sending -------------------------------------------------------------------------------


def _existing(store: DeliveryStore, outbox_id: str) -> ManualResult:
    rows = store._execute(
        f"select status, sent_by, started_at, finished_at, telegram_message_id, message_text "
        f"from {store.log_relation} where outbox_id = %s order by attempt_no",
        (outbox_id,),
    )
    if not rows:
        return ManualResult(
            outbox_id,
            "duplicate",
            "this form was submitted at the same moment by someone else, and that send did "
            "not go through; open the card again to see what was sent",
        )
    status, sent_by, started_at, finished_at, message_id, text = rows[-1]
    return ManualResult(
        outbox_id,
        "duplicate",
        f"already submitted by {sent_by} at {started_at:%Y-%m-%d %H:%M} UTC (status {status}); "
        "not sent again. Open the card again to write a new message.",
        sent_by=sent_by,
        started_at=started_at,
        finished_at=finished_at,
        telegram_message_id=message_id,
        text=text,
    )


_DETAIL = {
    "sent": "delivered to Telegram",
    "failed_permanent": "Telegram refused it for good (chat not found or bot blocked)",
    "unknown_outcome": "no answer from Telegram: it may have arrived; it is not resent -- "
    "check with the student before writing again",
    "retry": "not sent (Telegram could not be reached or answered with an error); "
    "open the card again to try once more",
}


def send_manual_message(
    store: DeliveryStore,
    api: BotApi,
    *,
    enrolment_id: str,
    text: str,
    token: str,
    user: str,
    check_access: CheckAccess | None = None,
    now: Callable[[], datetime] = utc_now,
) -> ManualResult:
    """Send ``text`` to the student of ``enrolment_id`` once per ``token`` (the form's).

    ``user`` (who sends, e.g. the Moodle username) is recorded as ``sent_by``.
    Returns the outcome; raises :class:`AccessDenied`, :class:`ManualMessageError`
    (unknown enrolment, bad token) or :class:`~early_warning.notify.store.StoreError`
    (warehouse unreadable or busy for too long). Never raises for Telegram's answers.
    """
    if not _TOKEN.match(str(token or "")):
        raise ManualMessageError(f"bad form token {token!r}: open the student card again")
    if not user:
        raise ManualMessageError("the sender (user) is required: it is recorded with the message")
    outbox_id = f"{MANUAL_PREFIX}{enrolment_id}:{token}"
    body = (text or "").strip()
    with store.session():  # DuckDB: the file is open for the claim only
        contact = _contact_row(store, enrolment_id)
        _check(check_access, user, contact["courseid"])
        if not contact["can_contact"]:
            return ManualResult(
                outbox_id, "refused", contact["contact_blocked_reason"] or "cannot be contacted"
            )
        if not body:
            return ManualResult(outbox_id, "refused", "the message is empty")
        if len(body) > MAX_TEXT_LENGTH:
            return ManualResult(
                outbox_id,
                "refused",
                f"the message has {len(body)} characters; Telegram takes at most {MAX_TEXT_LENGTH}",
            )
        store.ensure_log()
        row = OutboxRow(
            outbox_id=outbox_id,
            enrolment_id=str(contact["enrolment_id"]),
            courseid=int(contact["courseid"]),
            course_fullname=contact["course_fullname"],
            userid=int(contact["userid"]),
            student_name=contact["student_name"],
            course_week=contact["course_week"],
            transition="manual",
            from_value=None,
            to_value=None,
            chat_id=str(contact["chat_id"]),
            lang=contact["lang"],
            message_text=body,
            can_send=True,
        )
        started_at = now()
        try:
            store.start_attempt(row, 1, "manual", started_at, sent_by=user)
        except store._errors() as error:
            if not store.is_duplicate_key(error):
                raise StoreError(f"cannot record the message: {error}") from None
            if store.engine == "postgres" and not store.connection.autocommit:
                store.connection.rollback()
            return _existing(store, outbox_id)
    # the claim is committed and the file closed: now, and only now, call Telegram
    result = api.send_message(row.chat_id, body)
    status = STATUS_OF_OUTCOME[result.outcome]
    finished_at = now()
    store.finish_attempt(
        outbox_id,
        1,
        status,
        finished_at,
        http_status=result.http_status,
        message_id=result.message_id,
        error_description=result.description,
    )
    detail = _DETAIL[status]
    if result.description and status != "sent":
        detail = f"{detail}: {result.description}"
    return ManualResult(
        outbox_id,
        status,
        detail,
        sent_by=user,
        started_at=started_at,
        finished_at=finished_at,
        telegram_message_id=result.message_id,
        text=body,
    )
