"""Telegram notifications to students whose category worsened (issue 9).

``models/marts/notifications/mart_notification_outbox.sql`` lists the messages
to send; this package delivers them through the Telegram Bot API, each outbox
row at most once, and logs every attempt in ``notifications.notification_deliveries``:

    TELEGRAM_BOT_TOKEN=... python -m early_warning.notify --duckdb target/early_warning.duckdb
    python -m early_warning.notify --duckdb target/early_warning.duckdb --dry-run

See :mod:`early_warning.notify.sender` for the delivery protocol.

For the web app (issue 19): :mod:`early_warning.notify.manual` (a curator writes to one
student from the card, through the same log, at most once per form) and
:mod:`early_warning.notify.feedback` (feedback on predictions, kept outside dbt).
"""

from early_warning.notify.feedback import (
    FEEDBACK_VALUES,
    FeedbackRecord,
    course_access_check,
    list_feedback,
    record_feedback,
)
from early_warning.notify.manual import (
    AccessDenied,
    ManualDraft,
    ManualMessageError,
    ManualResult,
    MessageRecord,
    list_messages,
    prepare_manual_message,
    send_manual_message,
)
from early_warning.notify.sender import RunSummary, Sender, SenderSettings
from early_warning.notify.store import DeliveryStore, OutboxRow, StoreError
from early_warning.notify.telegram import BotApi, Outcome, SendResult, TelegramConfigError

__all__ = [
    "FEEDBACK_VALUES",
    "AccessDenied",
    "BotApi",
    "FeedbackRecord",
    "ManualDraft",
    "ManualMessageError",
    "ManualResult",
    "MessageRecord",
    "course_access_check",
    "list_feedback",
    "list_messages",
    "prepare_manual_message",
    "record_feedback",
    "send_manual_message",
    "DeliveryStore",
    "Outcome",
    "OutboxRow",
    "RunSummary",
    "SendResult",
    "Sender",
    "SenderSettings",
    "StoreError",
    "TelegramConfigError",
]
