"""`early-warning` command line: one entry point for the package's tools."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="early-warning",
        description="Tools of the early-warning dbt project. Each subcommand has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "demo-site", help="generate a demo Moodle site (same as python -m early_warning.demo)"
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo-site":
        from early_warning.demo.__main__ import main as demo_main

        return demo_main(rest)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
