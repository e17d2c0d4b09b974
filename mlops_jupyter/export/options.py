"""The options of ``%mlops_export`` and ``mlops-jupyter export``, shared by both surfaces.

Each option's ``dest`` is the keyword of :func:`mlops_jupyter.export_notebook` it sets.
"""

from __future__ import annotations

from typing import Any

from .._util import OptionTable
from ..errors import MlopsUsageError

OPTIONS: OptionTable = [
    (("--target",), {"choices": ["github", "gitlab", "generic"], "default": None, "help": "CI files to write"}),
    (("--mode",), {"choices": ["notebook", "script"], "default": None,
                   "help": "notebook: papermill runs it; script: plain Python with magics as API calls"}),
    (("--out",), {"default": None, "metavar": "DIR", "help": "job folder (default jobs/<name>/ in the project)"}),
    (("--schedule",), {"default": None, "metavar": "CRON", "help": "cron schedule for continuous training"}),
    (("--source-run",), {"dest": "source_run", "metavar": "RUN_ID",
                         "help": "run whose metrics the job must reproduce (default: the newest run of the notebook)"}),
    (("--thresholds",), {"action": "append", "default": [], "metavar": "METRIC=RULE",
                         "help": 'metric gate of the job, e.g. accuracy=">=0.9" (repeatable)'}),
    (("--rehearse",), {"action": "store_true", "help": "run the job now in a fresh kernel and compare with the source run"}),
    (("--strict",), {"action": "store_true", "help": "with --rehearse: a mismatch is an error"}),
]


def thresholds(items: list[str], deprecated: list[str] | None = None) -> dict[str, str] | None:
    """``["accuracy=>=0.9"]`` -> ``{"accuracy": ">=0.9"}`` (``export_notebook(thresholds=...)``).

    ``deprecated``: values of the CLI's old ``--gate`` flag, still accepted with a warning."""
    if deprecated:
        import warnings

        warnings.warn("mlops-jupyter export: --gate is deprecated, use --thresholds", FutureWarning, stacklevel=2)
    out: dict[str, str] = {}
    for item in [*items, *(deprecated or [])]:
        metric, sep, rule = _unquote(item).partition("=")
        if not sep or not metric.strip():
            raise MlopsUsageError(f"threshold {item!r} is not METRIC=RULE", hint='e.g. --thresholds accuracy=">=0.9"')
        out[metric.strip()] = rule.strip()
    return out or None


def export_kwargs(args: Any) -> dict[str, Any]:
    """Keyword arguments of ``export_notebook`` from parsed options (magic or CLI)."""
    kw: dict[str, Any] = {key: getattr(args, key) for key in ("target", "mode", "out", "schedule")}
    if args.source_run:
        kw["source_run"] = args.source_run
    gates = thresholds(args.thresholds, getattr(args, "gate", None))
    if gates:
        kw["thresholds"] = gates
    return kw  # --rehearse / --strict: the caller rehearses the result (export/rehearsal.py)


def _unquote(text: str) -> str:
    # IPython keeps the quotes of a quoted magic argument: accuracy=">=0.9"
    metric, sep, rule = text.partition("=")
    rule = rule.strip()
    if len(rule) >= 2 and rule[0] == rule[-1] and rule[0] in "'\"":
        rule = rule[1:-1]
    return f"{metric}{sep}{rule}"
