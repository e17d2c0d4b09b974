"""``mlops-jupyter validate DATA --suite NAME``: exit 1 when a rule fails, 2 on bad input."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add the ``validate`` command to the CLI's subparsers."""
    p = sub.add_parser("validate", help="check a CSV/Parquet file against a saved suite")
    p.add_argument("data", help="CSV or Parquet file, or a folder or glob of them")
    p.add_argument("--suite", required=True, metavar="NAME", help="suite name (or a .yaml path)")
    p.add_argument("--rules", metavar="FILE", help="extra rules, one per line, from FILE")
    p.add_argument("--sample", type=int, metavar="N", help="failing values kept per rule (default 5)")
    p.add_argument("--engine", choices=["pandas", "duckdb"],
                   help="where the rules run (default: a folder or glob of files runs on DuckDB)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the suite; print the report (text or JSON); 0 passed, 1 failed."""
    from pathlib import Path

    from ..errors import DataError
    from ..validation import validate

    rules = None
    if args.rules:
        try:
            rules = Path(args.rules).read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"cannot read rules file {args.rules}: {exc.strerror}") from None
    report = validate(args.data, rules=rules, suite=args.suite, warn_only=True, sample=args.sample,
                      name=Path(str(args.suite)).stem, engine=args.engine)
    if args.json:
        print(report.to_json())
    else:
        print(report)
    if not report.ok:
        print(f"validation failed: {len(report.failed)} rule(s)", file=sys.stderr)
        return 1
    return 0
