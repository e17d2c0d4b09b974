"""``mlops-jupyter test NOTEBOOK…``: run notebooks' test cells in fresh kernels, headless."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    """Add the ``test`` command."""
    p = sub.add_parser("test", help="run the test cells of notebooks in fresh kernels (JUnit XML for CI)")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="notebooks (.ipynb) to test")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="papermill parameter (repeatable), e.g. -p sample=200")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML to FILE")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="limit per test and per ordinary cell, in seconds (default 600)")
    p.add_argument("--kernel", metavar="NAME", help="kernel to use instead of the notebook's kernel spec")
    p.add_argument("--cov", action="store_true", help="coverage of the notebooks' cells by their tests")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_test)


def cmd_test(args: argparse.Namespace) -> int:
    """Exit 0 when every test passed, 1 when a test or a cell failed, 2 on bad input."""
    from .._util import parse_pairs
    from ..errors import MlopsUsageError
    from ..testing.notebook import test_notebooks

    if args.timeout is not None and args.timeout <= 0:
        raise MlopsUsageError("--timeout must be a positive number of seconds")
    params = parse_pairs(args.param, "parameter")
    report = test_notebooks(args.notebooks, params, junit=args.junit, timeout=args.timeout, kernel=args.kernel,
                            cov=args.cov)
    print(json.dumps(report.to_dict(), indent=2, default=str) if args.json else report)
    if report.counts()["total"] == 0 and report.ok:
        raise MlopsUsageError("no tests were collected from the test cells",
                              hint="define functions named test_* in the cells tagged mlops-test")
    return 0 if report.ok else 1
