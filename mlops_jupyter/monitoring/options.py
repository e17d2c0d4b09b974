"""The options of ``%mlops_monitor`` and ``mlops-jupyter monitor``, shared by both surfaces.

Each option's ``dest`` is the keyword of :func:`mlops_jupyter.monitor` it sets; the
reference stays a *reference* (a variable name or a path) that each surface resolves.
"""

from __future__ import annotations

from typing import Any

from .._util import OptionTable

OPTIONS: OptionTable = [
    (("service",), {"metavar": "SERVICE", "help": "service name (.mlops/serving/SERVICE/; in a kernel also a "
                                                  "variable holding a Service)"}),
    (("--reference",), {"metavar": "DATA", "help": "training reference for input drift: a CSV/Parquet path (in a kernel also a variable)"}),
    (("--window",), {"metavar": "W", "help": "window length, e.g. 5min, 1h (default 5min)"}),
    (("--slo",), {"nargs": "+", "metavar": "RULE", "help": "SLO rules, e.g. 'p95_latency < 200 ms' 'error_rate < 1%%'"}),
]


def monitor_kwargs(args: Any) -> dict[str, Any]:
    """Keyword arguments of ``mj.monitor`` other than the reference (``window``, ``slo``)."""
    kw: dict[str, Any] = {}
    if args.window:
        kw["window"] = args.window
    if args.slo:  # IPython keeps the quotes around a quoted argument: "p95_latency < 200 ms"
        kw["slo"] = [_unquote(r) for r in args.slo]
    return kw


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text
