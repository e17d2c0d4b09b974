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


def list_runs(experiment: str | None = None, max_results: int = 20) -> Any:
    """The newest runs of ``experiment`` in the active profile's store, as a RunsView."""
    import datetime as dt

    from ..display.tracking import RunsView
    from ..session import session
    from ..tracking import store

    profile = session.profile()
    client = store.get_client(store.check_uri(profile.tracking_uri))
    name = experiment or profile.experiment
    exp = client.get_experiment_by_name(name)
    view = RunsView(experiment=name)
    if exp is None:
        return view
    for run in client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=max_results):
        start = dt.datetime.fromtimestamp(run.info.start_time / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        view.runs.append({
            "run_id": run.info.run_id, "run_name": run.info.run_name, "status": run.info.status,
            "start": start, "metrics": dict(run.data.metrics), "params": dict(run.data.params),
        })
    return view


def cmd_runs(args: argparse.Namespace) -> int:
    view = list_runs(args.experiment, args.max)
    print(json.dumps(view.to_dict(), indent=2) if args.json else view)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ..tracking import sync

    result = sync()
    print(json.dumps(result.to_dict(), indent=2) if args.json else result)
    return 0 if result.ok else 2
