"""``python -m early_warning.notify``: deliver the notification outbox."""

from early_warning.notify.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
