"""`early-warning` command line: one entry point for the package's tools."""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> (module whose main(argv) runs it, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo-site": ("early_warning.demo.__main__", "generate a demo Moodle site"),
    "load": (
        "early_warning.loader",
        "load a Moodle export (Parquet/CSV) into PostgreSQL with COPY",
    ),
    "compare": ("early_warning.compare", "compare the DuckDB and PostgreSQL marts row by row"),
    "ai-usage": ("early_warning.ai_usage", "Moodle's AI usage report as JSON (MDL-82626)"),
    "ml-job": ("early_warning.ml.warehouse_job", "PostgreSQL: train when due, score in SQL"),
    "notify": ("early_warning.notify.cli", "send the Telegram notification outbox"),
    "serve": ("early_warning.web.serve", "serve the curators' and teachers' web app"),
    "publish": (
        "early_warning.web.publish",
        "copy the DuckDB warehouse to the file the web app reads (after a build)",
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="early-warning",
        description="Tools of the early-warning dbt project. Each subcommand has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    args, rest = parser.parse_known_args(argv)
    module_name = COMMANDS[args.command][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        parser.error(f"{args.command} is not available in this installation: {missing}")
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
