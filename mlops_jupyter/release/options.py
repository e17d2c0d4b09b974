"""The options of ``%mlops_promote`` and ``mlops-jupyter promote``, shared by both surfaces.

One table of argparse arguments and one translation into ``mj.promote`` keyword
arguments, so that the magic, the CLI and the exported script cannot drift apart.
Datasets (``--eval``, ``--current``, ``--reference``) stay *references* here (a variable
name or a path); each surface resolves them its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._util import parse_pairs
from ..errors import MlopsUsageError

DATA_OPTIONS = {"eval": "eval_data", "current": "current", "reference": "reference"}

OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("model",), {"metavar": "MODEL", "help": "registered model name"}),
    (("--candidate",), {"required": True, "metavar": "CANDIDATE",
                        "help": "RUN_ID, runs:/RUN_ID/NAME, models:/MODEL/VERSION, models:/MODEL@ALIAS or VERSION"}),
    (("--alias",), {"help": "registry alias to move (default: [release] alias or 'champion')"}),
    (("--eval",), {"metavar": "DATA", "help": "evaluation data: variable (DataFrame or (X, y)) or CSV/Parquet path"}),
    (("--target",), {"metavar": "COL", "help": "target column of the evaluation data"}),
    (("--suite",), {"metavar": "NAME", "help": "gate 1: validation suite the evaluation data must pass"}),
    (("--current",), {"metavar": "DATA", "help": "gate 2: current data to compare with the training data"}),
    (("--reference",), {"metavar": "DATA", "help": "gate 2: the candidate's training data (default: its run's input)"}),
    (("--drift-method",), {"metavar": "METHOD", "help": "gate 2: drift test (see %%drift --method)"}),
    (("--drift-threshold",), {"type": float, "metavar": "X", "help": "gate 2: threshold of the drift test"}),
    (("--max-drift-share",), {"type": float, "metavar": "S", "help": "gate 2: allowed share of drifted columns (default 0)"}),
    (("--min",), {"nargs": "+", "action": "append", "metavar": "M=V", "help": "gate 3: metric must be ≥ V (e.g. accuracy=0.9)"}),
    (("--max",), {"nargs": "+", "action": "append", "metavar": "M=V", "help": "gate 3: metric must be ≤ V (e.g. log_loss=0.3)"}),
    (("--min-delta",), {"nargs": "+", "action": "append", "metavar": "M=V",
                        "help": "gate 3: improvement over the champion ≥ V (negative = tolerated loss)"}),
    (("--min-rel-delta",), {"nargs": "+", "action": "append", "metavar": "M=V",
                            "help": "gate 3: relative improvement over the champion ≥ V (0.01 = 1%%)"}),
    (("--ab",), {"nargs": "?", "const": True, "default": None, "metavar": "online:SERVICE",
                 "help": "gate 4: A/B test against the champion (implied by the --ab-* options); "
                         "online:SERVICE reads the live experiment of a running service"}),
    (("--ab-metric",), {"metavar": "M", "help": "gate 4: metric (default accuracy / mse)"}),
    (("--ab-test",), {"choices": ["mcnemar", "bootstrap"], "help": "gate 4: paired test (default mcnemar for accuracy)"}),
    (("--rule",), {"choices": ["superiority", "non-inferiority"],
                   "help": "gate 4: better by more than DELTA, or not worse than DELTA (default superiority)"}),
    (("--delta",), {"type": float, "help": "gate 4: margin δ ≥ 0 (default 0)"}),
    (("--confidence",), {"type": float, "help": "gate 4: confidence of the one-sided bound (default 0.95)"}),
    (("--n-boot",), {"type": int, "metavar": "N", "help": "gate 4: bootstrap resamples (default 2000)"}),
    (("--seed",), {"type": int, "help": "gate 4: bootstrap seed (default 0)"}),
    (("--midp",), {"action": "store_true", "help": "gate 4: mid-p McNemar (less conservative than exact)"}),
    (("--require-tests",), {"action": "store_true", "dest": "require_tests",
                            "help": "gate 5: notebook tests passed on the candidate's run"}),
    (("--gates",), {"metavar": "G,G", "help": "run only these gates: data,drift,metrics,ab,tests"}),
    (("--model-path",), {"metavar": "NAME", "help": "name of the logged model when the run logged several"}),
    (("--webhook",), {"metavar": "URL", "help": "POST the decision here after a promotion"}),
    (("--dry-run",), {"action": "store_true", "help": "evaluate the gates; register, record and move nothing"}),
]


def add_options(add: Callable[..., Any]) -> None:
    """Declare every option through ``add(*flags, **kwargs)`` (argparse or magic_arguments)."""
    for flags, kw in OPTIONS:
        add(*flags, **kw)


def _pairs(groups: list[list[str]] | None, what: str) -> dict[str, Any]:
    items = [item for group in (groups or []) for item in group]
    out = parse_pairs(items, what)
    for key, value in out.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MlopsUsageError(f"{what} {key}={value!r} is not a number")
    return out


def promote_kwargs(args: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """``(kwargs of mj.promote without the datasets, dataset references by keyword)``."""
    kw: dict[str, Any] = {"model": args.model, "candidate": args.candidate}
    for key in ("alias", "target", "suite", "model_path", "webhook"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    if args.gates:
        kw["gates"] = [g.strip() for g in args.gates.split(",") if g.strip()]
    metrics: dict[str, dict[str, Any]] = {}
    for opt, key in (("min", "min"), ("max", "max"), ("min_delta", "min_delta"), ("min_rel_delta", "min_rel_delta")):
        for name, value in _pairs(getattr(args, opt), f"--{opt.replace('_', '-')}").items():
            metrics.setdefault(name, {})[key] = value
    if metrics:
        kw["metrics"] = metrics
    ab: dict[str, Any] = {}
    for opt, key in (("ab_metric", "metric"), ("ab_test", "test"), ("rule", "rule"), ("delta", "delta"),
                     ("confidence", "confidence"), ("n_boot", "n_boot"), ("seed", "seed")):
        if getattr(args, opt) is not None:
            ab[key] = getattr(args, opt)
    if args.midp:
        ab["midp"] = True
    if isinstance(args.ab, str):
        from ..monitoring.online_ab import service_of

        ab["online"] = service_of(args.ab)
    if ab:
        kw["ab"] = ab
    elif args.ab:
        kw["ab"] = True
    for key in ("drift_method", "drift_threshold", "max_drift_share"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    if args.dry_run:
        kw["dry_run"] = True
    if getattr(args, "require_tests", False):
        kw["require_tests"] = True
    refs = {DATA_OPTIONS[k]: getattr(args, k) for k in DATA_OPTIONS if getattr(args, k) is not None}
    return kw, refs
