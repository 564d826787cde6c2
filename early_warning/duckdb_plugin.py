"""dbt-duckdb plugin of the project (profiles.yml): a clear message for a locked warehouse.

DuckDB lets one process write a database file at a time. When a second ``dbt build``
(or ``dbt build`` while ``early-warning notify`` or a DuckDB shell holds the file)
cannot take the lock, dbt-duckdb's error handler tries to reopen the connection
while handling the error, and dbt prints the lock error followed by a traceback of
some 220 lines. dbt-duckdb calls :meth:`Plugin.update_connection_config` just before
it opens the file: the plugin tries the lock first (open and close the file) and,
when another process holds it, stops dbt with one plain message saying what to do.
"""

from __future__ import annotations

import re
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

#: DuckDB's message when another process holds the write lock.
_LOCKED = re.compile(r"Could not set lock on file")
_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


def locked_message(path: str, error_text: str) -> str | None:
    """The plain message for a DuckDB lock error, or None when ``error_text`` is another error."""
    if not _LOCKED.search(error_text):
        return None
    holder = _HOLDER.search(error_text)
    who = f"process (PID {holder.group(2)}, {holder.group(1)})" if holder else "process"
    return (
        f"The DuckDB warehouse {path} is in use by another {who}: another `dbt build`, "
        "`early-warning notify` or an open DuckDB session. DuckDB allows one writer at a "
        "time: wait for it to finish (or stop it), then run this command again."
    )


def check_not_locked(path: str) -> None:
    """Raise dbt's DbtRuntimeError with one plain line when another process holds ``path``."""
    import duckdb
    from dbt_common.exceptions import DbtRuntimeError

    if not path or path == ":memory:" or path.startswith("md:"):
        return
    try:
        duckdb.connect(path, read_only=False).close()
    except duckdb.Error as error:
        message = locked_message(path, str(error))
        if message is None:
            raise
        raise DbtRuntimeError(message) from None


class Plugin(BasePlugin):
    """Checks the warehouse lock before dbt-duckdb opens the file."""

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        check_not_locked(str(creds.path))
