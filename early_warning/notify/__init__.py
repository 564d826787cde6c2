"""Telegram notifications to students whose category worsened (issue 9).

``models/marts/notifications/mart_notification_outbox.sql`` lists the messages
to send; this package delivers them through the Telegram Bot API, each outbox
row at most once, and logs every attempt in ``notifications.notification_deliveries``:

    TELEGRAM_BOT_TOKEN=... python -m early_warning.notify --duckdb target/early_warning.duckdb
    python -m early_warning.notify --duckdb target/early_warning.duckdb --dry-run

See :mod:`early_warning.notify.sender` for the delivery protocol.
"""

from early_warning.notify.sender import RunSummary, Sender, SenderSettings
from early_warning.notify.store import DeliveryStore, OutboxRow, StoreError
from early_warning.notify.telegram import BotApi, Outcome, SendResult, TelegramConfigError

__all__ = [
    "BotApi",
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
