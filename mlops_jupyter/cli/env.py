"""``mlops-jupyter env`` and ``doctor``."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("env", help="show the active environment profile")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_env)
    d = sub.add_parser("doctor", help="check MLflow, DVC, git and config; say what to fix")
    d.add_argument("--json", action="store_true", help="print JSON")
    d.set_defaults(func=cmd_doctor)


def cmd_env(args: argparse.Namespace) -> int:
    from ..display.envview import EnvView

    view = EnvView.current(show_all=True)
    print(json.dumps(view.to_dict(), indent=2) if args.json else view)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from ..diagnosis import doctor

    report = doctor()
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    return 0 if report.ok else 2
