"""The options of ``%drift`` and ``mlops-jupyter drift``, shared by both surfaces.

One table, one check of the combination and one translation into ``mj.drift``'s
arguments (:func:`drift_call`); each option's ``dest`` is the API keyword it sets. The data
stay *references* (a variable name or a path): each surface resolves them its own way.
"""

from __future__ import annotations

from typing import Any

from .._util import OptionTable
from ..errors import MlopsUsageError

OPTIONS: OptionTable = [
    (("data",), {"nargs": "+", "metavar": "DATA",
                 "help": "REFERENCE CURRENT (variable names or CSV/Parquet paths); or CURRENT with --reference/--by"}),
    (("--columns",), {"nargs": "+", "metavar": "COL", "help": "columns to compare (default: all shared)"}),
    (("--method",), {"default": "auto",
                     "help": "auto (Evidently's choice) | robust | ks | chisquare | z | psi | wasserstein | "
                             "jensenshannon | kl_div | hellinger | tvd | anderson | cramer_von_mises | "
                             "mannwhitney | t_test | energy | fisher | chisquare_evidently (Evidently's one-sample "
                             "chi-square, for comparisons only)"}),
    (("--threshold",), {"type": float, "help": "p-value or distance threshold of the method"}),
    (("--per-column",), {"dest": "per_column", "nargs": "+", "metavar": "COL=METHOD[:T]",
                         "help": "override the method (and threshold) of single columns, e.g. age=psi:0.2"}),
    (("--by",), {"metavar": "COL", "help": "time column of CURRENT: one report per window"}),
    (("--freq",), {"metavar": "F", "help": "window length for --by: D, W or M (default D)"}),
    (("--min-window-rows",), {"dest": "min_window_rows", "type": int, "metavar": "N",
                              "help": "windows with fewer rows are marked 'too small' and not tested "
                                      "(default: [drift] min_window_rows, else a tenth of the median window)"}),
    (("--reference",), {"metavar": "REF", "help": "reference data (when CURRENT is the only positional)"}),
    (("--prediction",), {"metavar": "COL", "help": "prediction column, reported apart"}),
    (("--target",), {"metavar": "COL", "help": "target column, reported apart"}),
    (("--fail",), {"action": "store_true", "help": "fail when drift is found (DriftDetected; CLI exit 1)"}),
    (("--on-drift",), {"dest": "on_drift", "nargs": "+", "action": "append", "metavar": "ACTION",
                       "help": "raise | tag | webhook URL | run JOB_DIR (repeatable)"}),
    (("--engine",), {"choices": ["pandas", "duckdb"],
                     "help": "where the summaries are computed (default: from the data; a folder or glob runs on DuckDB)"}),
]


def drift_call(args: Any) -> tuple[list[str], dict[str, Any]]:
    """Positional data references and the keyword arguments of ``mj.drift``, checked once."""
    data = list(args.data)
    if args.reference is not None:
        if len(data) != 1:
            raise MlopsUsageError("with --reference give exactly one CURRENT")
        data = [args.reference, data[0]]
    elif len(data) == 1 and args.by is None:
        raise MlopsUsageError("give REFERENCE and CURRENT (or CURRENT --by COL for windows over time)")
    if len(data) > 2:
        raise MlopsUsageError(f"too many data arguments: {' '.join(data)}")
    if args.freq is not None and args.by is None:
        raise MlopsUsageError("--freq needs by: --by COLUMN, the time column to window on")
    if args.min_window_rows is not None and args.by is None:
        raise MlopsUsageError("--min-window-rows needs by: --by COLUMN, the time column to window on")
    if args.min_window_rows is not None and args.min_window_rows < 0:
        raise MlopsUsageError(f"--min-window-rows must be >= 0, got {args.min_window_rows}")
    kw: dict[str, Any] = {}
    if args.columns:
        kw["columns"] = list(args.columns)
    if args.method != "auto":
        kw["method"] = args.method
    if args.threshold is not None:
        kw["threshold"] = args.threshold
    for key in ("by", "freq", "min_window_rows", "prediction", "target", "engine"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    if args.per_column:
        kw["per_column"] = per_column(args.per_column)
    if args.fail:
        kw["fail"] = True
    if args.on_drift:
        actions = [" ".join(a) for a in args.on_drift]
        kw["on_drift"] = actions[0] if len(actions) == 1 else actions
    return data, kw


def per_column(items: list[str]) -> dict[str, Any]:
    """``["age=psi:0.2", "city=chisquare"]`` -> ``{"age": ("psi", 0.2), "city": "chisquare"}``."""
    out: dict[str, Any] = {}
    for item in items:
        col, sep, spec = item.partition("=")
        if not sep or not col or not spec:
            raise MlopsUsageError(f"--per-column wants COL=METHOD[:THRESHOLD], got {item!r}")
        method, _, thr = spec.partition(":")
        try:
            out[col] = (method, float(thr)) if thr else method
        except ValueError:
            raise MlopsUsageError(f"threshold in {item!r} is not a number") from None
    return out
