"""``mlops-jupyter validate [DATA] --suite NAME | --rules RULES | --infer NAME | --metrics``.

The options are the magic's (:mod:`mlops_jupyter.validation.options`); ``--rules`` is the
cell body of ``%%validate``: rule text, or the path of an existing file of rules. Exit 0
passed (or ``--warn-only``), 1 a rule failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add the ``validate`` command to the CLI's subparsers."""
    from .._util import add_options
    from ..validation.options import OPTIONS

    p = sub.add_parser("validate", help="check data (or a run's metrics) against rules or a saved suite")
    p.add_argument("target", nargs="?", metavar="DATA", help="CSV or Parquet file, or a folder or glob of them")
    p.add_argument("--rules", metavar="RULES",
                   help="rules, one per line: the path of an existing file, else the text itself")
    add_options(p.add_argument, OPTIONS)
    p.add_argument("--run", metavar="RUN_ID", help="with --metrics: the run whose metrics are checked")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the check; print the report (text or JSON); 0 passed, 1 failed."""
    from pathlib import Path

    from ..errors import MlopsUsageError
    from ..validation import check_metrics, infer_suite, save_suite, validate
    from ..validation.options import check_options, rules_text, validate_call

    rules = rules_text(args.rules)
    check_options(args, rules)
    func, kw = validate_call(args, rules)
    if func == "infer_suite":
        from ..data.loading import TABULAR, read_table

        kind = TABULAR.get(Path(args.target).suffix.lower())
        data = read_table(Path(args.target), kind) if kind and Path(args.target).is_file() else args.target
        suite = infer_suite(data, **kw)
        path = save_suite(suite, args.infer)
        print(f"saved suite '{args.infer}' ({len(suite.rules)} rules) to {path}")
        return 0
    warn_only = kw.pop("warn_only")
    if func == "check_metrics":
        if not args.run:
            raise MlopsUsageError("--metrics needs --run RUN_ID here (there is no active run in a command)")
        report = check_metrics(kw.pop("rules"), args.run, warn_only=True, **kw)
    else:
        if args.suite and not args.save:
            kw["name"] = Path(str(args.suite)).stem
        report = validate(args.target, warn_only=True, **kw)
    print(report.to_json() if args.json else report)
    if not report.ok and not warn_only:
        print(f"validation failed: {len(report.failed)} rule(s)", file=sys.stderr)
        return 1
    return 0
