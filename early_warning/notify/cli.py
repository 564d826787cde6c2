"""Command line of the notification sender.

    TELEGRAM_BOT_TOKEN=123:abc python -m early_warning.notify --duckdb target/early_warning.duckdb
    python -m early_warning.notify --duckdb target/early_warning.duckdb --dry-run
    EW_PG_DSN='host=... dbname=...' TELEGRAM_BOT_TOKEN=... python -m early_warning.notify --postgres

Environment: TELEGRAM_BOT_TOKEN (required unless --dry-run or --requeue; never
printed), TELEGRAM_API_BASE (default https://api.telegram.org), EW_DUCKDB_PATH,
EW_PG_DSN (or the EW_PG_* variables) and EW_PG_SCHEMA for PostgreSQL (early_warning.warehouse).

Exit status: 0 done; 1 error (nothing or not everything could be tried: bad
token, outbox not built, warehouse busy); 3 done, but rows were left for the
next run or have an unknown outcome a human should check.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import unicodedata
from collections.abc import Sequence

from early_warning.notify.sender import Sender, SenderSettings, format_summary, utc_now
from early_warning.notify.store import DeliveryStore, OutboxRow, StoreError
from early_warning.notify.telegram import (
    API_BASE_ENV,
    DEFAULT_API_BASE,
    MASK,
    TOKEN_ENV,
    BotApi,
    TelegramConfigError,
)
from early_warning.warehouse import Schemas, WarehouseError, duckdb_path, pg_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.notify",
        description="Send the Telegram messages of marts.mart_notification_outbox, each at most "
        f"once. Token from ${TOKEN_ENV}, API base from ${API_BASE_ENV} "
        f"(default {DEFAULT_API_BASE}).",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--duckdb",
        metavar="PATH",
        help="DuckDB warehouse (default: $EW_DUCKDB_PATH or target/early_warning.duckdb)",
    )
    source.add_argument(
        "--postgres",
        action="store_true",
        help="PostgreSQL warehouse: the psycopg2 DSN in the env var named by --dsn-env, "
        "else the EW_PG_* variables",
    )
    parser.add_argument("--dsn-env", default="EW_PG_DSN", help="env var with the DSN (EW_PG_DSN)")
    parser.add_argument(
        "--marts-schema",
        help="schema of the outbox (default: marts; PostgreSQL: <$EW_PG_SCHEMA or ew>_marts)",
    )
    parser.add_argument(
        "--log-schema",
        help="schema of notification_deliveries (default: notifications; PostgreSQL: "
        "<$EW_PG_SCHEMA or ew>_notifications)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be sent; send and record nothing"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="attempt at most N rows")
    parser.add_argument(
        "--requeue",
        action="append",
        metavar="OUTBOX_ID",
        help="allow one more try of a row held as unknown_outcome or failed_permanent "
        "(after checking with the student); repeatable; sends nothing",
    )
    parser.add_argument(
        "--rate", type=float, default=25.0, help="messages per second at most (default 25)"
    )
    parser.add_argument(
        "--per-chat-interval",
        type=float,
        default=1.0,
        help="seconds between two messages to the same chat (default 1)",
    )
    parser.add_argument(
        "--max-attempts", type=int, default=5, help="attempts per row and run (default 5)"
    )
    parser.add_argument(
        "--backoff", type=float, default=1.0, help="first backoff after a 5xx, seconds (default 1)"
    )
    parser.add_argument(
        "--max-consecutive-failures",
        type=int,
        default=4,
        metavar="N",
        help="stop the run (exit 3, rows left for the next run) after N calls in a row that "
        "failed on the network or with a 5xx (default 4; 0: never)",
    )
    parser.add_argument(
        "--max-retry-after",
        type=float,
        default=120.0,
        help="longest 429 wait honoured within a run, seconds (default 120)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for Telegram (default 30)"
    )
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="DuckDB: how long to wait for the warehouse file while a dbt build holds it "
        "(default 300; the file is opened only to read the outbox and to record each attempt)",
    )
    return parser


def _open_store(args) -> DeliveryStore:
    read_only = bool(args.dry_run)
    if args.postgres:
        schemas = Schemas.postgres()
        try:
            settings = pg_settings(args.dsn_env)
        except WarehouseError as error:
            raise StoreError(str(error)) from error
        return DeliveryStore.open_postgres(
            settings,
            read_only=read_only,
            marts_schema=args.marts_schema or schemas.marts,
            log_schema=args.log_schema or schemas.notifications,
        )
    path = args.duckdb or duckdb_path()
    if not os.path.exists(path):
        raise StoreError(f"no DuckDB warehouse at {path} (run dbt build first)")
    schemas = Schemas.duckdb()
    return DeliveryStore.open_duckdb(
        path,
        read_only=read_only,
        lock_wait=args.lock_wait,
        marts_schema=args.marts_schema or schemas.marts,
        log_schema=args.log_schema or schemas.notifications,
    )


def escape_controls(text: object) -> str:
    """``text`` on one line: newlines, tabs and other control characters shown as escapes
    (a name cannot fake lines of the listing)."""
    out = []
    for char in str(text):
        if char == "\\":
            out.append("\\\\")
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _describe(row: OutboxRow) -> str:
    return escape_controls(
        f"{row.outbox_id}  {row.student_name or '(no name)'}  {row.course_fullname}  "
        f"{row.transition}: {row.from_value} -> {row.to_value}"
    )


def _print_dry_run(summary, out) -> None:
    out(f"DRY RUN: nothing is sent and nothing is recorded (outbox as of {summary.outbox_as_of}).")
    out(f"would send {len(summary.to_send)} message(s):")
    for row in summary.to_send:
        out(f"--- {_describe(row)}  chat {escape_controls(row.chat_id)}  lang {row.lang}")
        out(escape_controls(row.message_text))
    if summary.not_rendered:
        out(
            f"{len(summary.not_rendered)} message(s) not fully rendered, never sent "
            "(fix seeds/notification_templates.csv and rebuild):"
        )
        for row in summary.not_rendered:
            out(f"  {_describe(row)}  ({row.render_problem})")
    if summary.without_chat_id:
        out(
            f"{len(summary.without_chat_id)} student(s) without a Telegram chat id "
            "(not sendable; for curators):"
        )
        for row in summary.without_chat_id:
            out(f"  {_describe(row)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "").strip()

    def out(text: str) -> None:
        print(text.replace(token, MASK) if token else text, flush=True)

    def err(text: str) -> None:
        print(text.replace(token, MASK) if token else text, file=sys.stderr, flush=True)

    if args.limit is not None and args.limit < 0:
        parser.error("--limit must be >= 0")
    store = None
    try:
        store = _open_store(args)
        settings = SenderSettings(
            rate_per_second=args.rate,
            per_chat_interval=args.per_chat_interval,
            max_attempts=max(args.max_attempts, 1),
            backoff_base=args.backoff,
            max_retry_after=args.max_retry_after,
            limit=args.limit,
            max_consecutive_failures=max(args.max_consecutive_failures, 0),
        )
        if args.requeue:
            store.acquire_lock()
            store.ensure_log()
            for outbox_id in args.requeue:
                out(store.requeue(outbox_id, "requeue", utc_now(), "requeued by an operator"))
            return 0
        if args.dry_run:
            sender = Sender(store, None, settings, out=out)
            summary = sender.dry_run()
            _print_dry_run(summary, out)
            out(format_summary(summary))
            return 0
        if not token:
            err(f"error: set {TOKEN_ENV} (the bot token), or use --dry-run")
            return 1
        api = BotApi(
            token,
            os.environ.get(API_BASE_ENV, "").strip() or DEFAULT_API_BASE,
            read_timeout=args.timeout,
        )
        summary = Sender(store, api, settings, out=out).run()
        out(format_summary(summary))
        return summary.exit_code
    except (StoreError, TelegramConfigError) as error:
        err(f"error: {error}")
        return 1
    except Exception:  # any other failure: report it without the token, then fail
        err(traceback.format_exc())
        return 1
    finally:
        if store is not None:
            store.close()


if __name__ == "__main__":
    raise SystemExit(main())
