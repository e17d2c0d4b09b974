"""``mlops-jupyter drift REF CUR``: drift between two CSV/Parquet files, headless.

The options are ``%drift``'s (:mod:`mlops_jupyter.drift_detection.options`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    """Add the ``drift`` command."""
    from .._util import add_options
    from ..drift_detection.options import OPTIONS

    p = sub.add_parser("drift", help="data drift of CUR against REF (CSV/Parquet)")
    add_options(p.add_argument, OPTIONS)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_drift)


def cmd_drift(args: argparse.Namespace) -> int:
    """Run the comparison; exit 1 on drift with ``--fail``, 2 on usage/input errors."""
    from ..drift_detection import drift
    from ..drift_detection.options import drift_call
    from ..errors import DriftDetected

    data, kw = drift_call(args)
    try:
        result = drift(data[0], data[1] if len(data) > 1 else None, **kw)
    except DriftDetected as exc:  # --fail, or an on-drift "raise" action
        result = exc.report
    print(json.dumps(result.to_dict(), indent=2, allow_nan=False) if args.json else result)
    return 1 if (args.fail and result.drifted) else 0
