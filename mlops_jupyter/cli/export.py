"""``mlops-jupyter export``, ``run`` and ``rehearse``: notebooks as reproducible jobs."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .._util import add_options
from ..errors import MlopsUsageError


def register(sub: Any) -> None:
    """Add the job commands to the ``mlops-jupyter`` parser."""
    e = sub.add_parser("export", help="export a notebook as a job folder (job.yaml, code, CI files)")
    e.add_argument("notebook", help="the .ipynb file")
    from ..export.options import OPTIONS

    add_options(e.add_argument, OPTIONS)
    e.add_argument("--gate", action="append", default=None, metavar="METRIC=RULE", help="deprecated: use --thresholds")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.set_defaults(func=cmd_export)

    r = sub.add_parser("run", help="run an exported job: environment and data checks, execution, gates")
    r.add_argument("job", help="job folder or its job.yaml")
    r.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a parameter (repeatable; type-checked against job.yaml)")
    r.add_argument("--env", metavar="PROFILE", help="environment profile (default: the job's)")
    r.add_argument("--params-from-env", action="store_true",
                   help="also read MLOPS_PARAM_<NAME> variables (how the CI files pass parameters)")
    r.add_argument("--strict-env", action="store_true", help="fail (exit 2) when packages differ from the pinned ones")
    r.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="limit per notebook cell (whole script in script mode)")
    r.add_argument("--install", action="store_true",
                   help="first install the job's lock when this environment differs (how dvc.yaml runs it)")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=cmd_run)

    h = sub.add_parser("rehearse", help="export, run in a fresh kernel, compare with the source run")
    h.add_argument("notebook", help="the .ipynb file")
    h.add_argument("--strict", action="store_true", help="exit 1 when the job does not reproduce the source run")
    h.add_argument("--mode", choices=["notebook", "script"], default=None, help="papermill notebook or plain script")
    h.add_argument("--json", action="store_true", help="print JSON")
    h.set_defaults(func=cmd_rehearse)


def parse_params(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; values stay text (typed by the job)."""
    from ..export.notebook import IDENTIFIER

    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not IDENTIFIER.match(name):
            raise MlopsUsageError(f"parameter {item[:60]!r} is not NAME=VALUE with an identifier NAME")
        out[name] = value
    return out


def cmd_export(args: argparse.Namespace) -> int:
    from ..export import export_notebook
    from ..export.options import export_kwargs

    res = export_notebook(args.notebook, **export_kwargs(args))
    if args.rehearse:
        from ..export.rehearsal import rehearse_export

        rehearse_export(res, args.notebook, strict=args.strict)
    print(json.dumps(res.to_dict(), indent=2) if args.json else res)
    return 0 if res.ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    from ..export import run_job

    if args.install:
        import sys

        from ..export.install import install_if_needed, reexec_run

        if install_if_needed(args.job):
            reexec_run(sys.argv[1:])
    result = run_job(args.job, params=parse_params(args.param), env=args.env,
                     params_from_env=args.params_from_env, strict_env=args.strict_env, timeout=args.timeout)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result)
    return result.exit_code


def cmd_rehearse(args: argparse.Namespace) -> int:
    from ..export import rehearse

    report = rehearse(args.notebook, strict=False, mode=args.mode)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    if args.strict and not report.reproduced:
        return 1
    return 0
