"""``mlops-jupyter drift REF CUR``: drift between two CSV/Parquet files, headless."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    """Add the ``drift`` command."""
    p = sub.add_parser("drift", help="data drift of CUR against REF (CSV/Parquet)")
    p.add_argument("reference", metavar="REF", help="reference data file (.csv or .parquet)")
    p.add_argument("current", metavar="CUR", help="current data file (.csv or .parquet)")
    p.add_argument("--columns", nargs="+", metavar="COL", help="columns to compare")
    p.add_argument("--method", default="auto",
                   help="auto | robust | ks | chisquare | psi | wasserstein | ... | chisquare_evidently")
    p.add_argument("--threshold", type=float, help="threshold of the method")
    p.add_argument("--by", metavar="COL", help="time column of CUR: one report per window")
    p.add_argument("--freq", metavar="F", help="window for --by: D, W or M")
    p.add_argument("--min-window-rows", dest="min_window_rows", type=int, metavar="N",
                   help="windows with fewer rows are marked 'too small' and not tested "
                        "(default: [drift] min_window_rows, else a tenth of the median window)")
    p.add_argument("--prediction", metavar="COL", help="prediction column, reported apart")
    p.add_argument("--target", metavar="COL", help="target column, reported apart")
    p.add_argument("--on-drift", dest="on_drift", nargs="+", action="append", metavar="ACTION",
                   help="tag | webhook URL | run JOB_DIR (repeatable)")
    p.add_argument("--engine", choices=["pandas", "duckdb"],
                   help="where the summaries are computed (default: a folder or glob runs on DuckDB)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--fail", action="store_true", help="exit 1 when drift is detected")
    p.set_defaults(func=cmd_drift)


def cmd_drift(args: argparse.Namespace) -> int:
    """Run the comparison; exit 1 on drift with ``--fail``, 2 on usage/input errors."""
    from ..drift_detection import drift
    from ..errors import DriftDetected

    kw: dict[str, Any] = {"method": args.method, "threshold": args.threshold, "by": args.by,
                          "freq": args.freq, "prediction": args.prediction, "target": args.target,
                          "engine": args.engine}
    if args.columns:
        kw["columns"] = args.columns
    if args.min_window_rows is not None:
        kw["min_window_rows"] = args.min_window_rows
    if args.on_drift:
        kw["on_drift"] = [" ".join(a) for a in args.on_drift]
    try:
        result = drift(args.reference, args.current, **kw)
    except DriftDetected as exc:  # an on-drift "raise" action: same as --fail
        result = exc.report
    print(json.dumps(result.to_dict(), indent=2, allow_nan=False) if args.json else result)
    return 1 if (args.fail and result.drifted) else 0
