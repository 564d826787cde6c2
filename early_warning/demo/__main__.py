"""Command line: ``python -m early_warning.demo --out data/demo --size small --seed 42``."""

from __future__ import annotations

import argparse
import sys
import time

from early_warning.demo.generator import SIZES, generate_site, parse_now


def main(argv: list[str] | None = None) -> int:
    """Generate a demo Moodle site; progress goes to stderr, a summary line to stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.demo",
        description="Generate a deterministic demo Moodle site (one file per table).",
    )
    parser.add_argument("--out", default="data/demo", help="output folder (default: data/demo)")
    parser.add_argument("--size", default="small", choices=list(SIZES),
                        help="site size (default: small)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    parser.add_argument("--format", dest="fmt", default="parquet", choices=["parquet", "csv"],
                        help="file format (default: parquet)")  # fmt: skip
    parser.add_argument("--now", default=None,
                        help="the site's current time: YYYY-MM-DD, ISO date-time (UTC) or Unix "
                             "seconds (default: 2025-05-12)")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error("--seed must be non-negative")
    try:
        now = parse_now(args.now)
    except ValueError as exc:
        parser.error(f"--now: {exc}")
    start = time.perf_counter()
    manifest = generate_site(args.out, size=args.size, seed=args.seed, fmt=args.fmt, now=now,
                             progress=not args.quiet)  # fmt: skip
    rows = manifest["tables"]
    print(
        f"demo site {args.size!r} (seed {args.seed}, now {manifest['now_utc']}) written to "
        f"{args.out}: {len(rows)} tables, {sum(rows.values()):,} rows, "
        f"{rows['logstore_standard_log']:,} log rows, {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
