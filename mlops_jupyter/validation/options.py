"""The options of ``%validate`` / ``%%validate`` and ``mlops-jupyter validate``, shared.

One table, one check of the combination (:func:`check_options`) and one translation into
the API call (:func:`validate_call`): ``mj.validate``, ``mj.infer_suite`` or
``mj.check_metrics``. The magic's rules come from the cell body; the CLI's from
``--rules`` (rule text, or the path of an existing file of rules: :func:`rules_text`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._util import OptionTable
from ..errors import DataError, MlopsUsageError

OPTIONS: OptionTable = [
    (("--suite",), {"metavar": "NAME", "help": "run the saved suite NAME (mlops/suites/NAME.yaml, or a .yaml path)"}),
    (("--save",), {"metavar": "NAME", "help": "save the given rules as suite NAME"}),
    (("--infer",), {"metavar": "NAME", "help": "propose a suite from the data and save it as NAME"}),
    (("--warn-only",), {"action": "store_true", "dest": "warn_only",
                        "help": "report failures without failing (no ValidationFailed, CLI exit 0)"}),
    (("--engine",), {"choices": ["pandas", "duckdb", "spark"],
                     "help": "where the rules run (default: from the data; a folder or glob runs on DuckDB)"}),
    (("--sample",), {"type": int, "metavar": "N", "help": "failing values kept per rule (default 5)"}),
    (("--metrics",), {"action": "store_true", "help": "check the rules over a run's metrics (model quality)"}),
    (("--model",), {"metavar": "NAME", "help": "registered model whose 'champion' alias --metrics compares with"}),
]

_RULE_FILE_SUFFIXES = (".txt", ".rules", ".yaml", ".yml")


def rules_text(value: str | None) -> str | None:
    """``--rules`` of the CLI: the content of an existing file, else the value is rule text.

    A single word ending like a file name (``.txt``, ``.rules``, ``.yaml``) that names no
    file is an error rather than a rule that could never parse."""
    if value is None:
        return None
    path = Path(value)
    if "\n" not in value and path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"cannot read rules file {value}: {exc.strerror}") from None
    if not any(ch.isspace() for ch in value.strip()) and value.strip().endswith(_RULE_FILE_SUFFIXES):
        raise DataError(f"no rules file {value}",
                        hint="--rules takes the path of an existing file or rule text, e.g. --rules 'age >= 0'")
    return value


def check_options(args: Any, rules: str | None) -> None:
    """Refuse a combination that cannot work, once, for every surface (``MlopsUsageError``)."""
    body = (rules or "").strip()
    if args.metrics:
        if args.suite or args.infer or args.save:
            raise MlopsUsageError("--metrics checks a run's metrics: no --suite, --save or --infer")
        if not body:
            raise MlopsUsageError("write metric rules (in the cell, or --rules), e.g. accuracy >= champion.accuracy - 0.01")
        return
    if not args.target:
        raise MlopsUsageError("give the data to check: a variable, or a CSV/Parquet path")
    if args.infer:
        if body or args.suite or args.save:
            raise MlopsUsageError("--infer NAME proposes a suite from the data; use it alone")
        return
    if not body and not args.suite:
        raise MlopsUsageError("nothing to check: write rules (in the cell, or --rules) or give --suite NAME")
    if args.save and not body:
        raise MlopsUsageError("--save NAME saves the rules given with it")
    if args.sample is not None and args.sample < 0:
        raise MlopsUsageError("--sample must be 0 or more")


def validate_call(args: Any, rules: str | None) -> tuple[str, dict[str, Any]]:
    """``(API function name, its keyword arguments)`` for checked options; the data stays
    ``args.target`` (each surface resolves it) and is the first argument where one is needed."""
    body = rules if (rules or "").strip() else None
    if args.infer:
        return "infer_suite", {"name": args.infer, "engine": args.engine}
    if args.metrics:
        return "check_metrics", {"rules": body or "", "model": args.model, "warn_only": args.warn_only}
    return "validate", {"rules": body, "suite": args.suite, "warn_only": args.warn_only, "sample": args.sample,
                        "save": args.save, "name": args.save or args.suite or args.target, "engine": args.engine}
