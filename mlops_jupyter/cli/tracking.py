"""``mlops-jupyter runs`` and ``mlops-jupyter sync``."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    """Add the tracking commands to the ``mlops-jupyter`` parser."""
    p = sub.add_parser("runs", help="list the runs of the experiment (newest first)")
    p.add_argument("-e", "--experiment", help="experiment name (default: the profile's)")
    p.add_argument("--max", type=int, default=20, help="at most this many runs (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_runs)
    s = sub.add_parser("sync", help="replay tracking events spooled while the store was unreachable")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_sync)


def cmd_runs(args: argparse.Namespace) -> int:
    from ..tracking.listing import runs

    result = runs(args.experiment, args.max)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ..tracking import sync

    result = sync()
    print(json.dumps(result.to_dict(), indent=2) if args.json else result)
    return 0 if result.ok else 2
