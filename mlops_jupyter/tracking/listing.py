"""``mj.runs()``: the newest runs of an experiment in the active profile's store.

The core of ``mlops-jupyter runs``. Reading never creates a store: a project that has
tracked nothing yet lists no runs (and gets no ``mlflow.db``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .._views import Viewable
from ..errors import MlopsUsageError

DEFAULT_MAX_RESULTS = 20


@dataclass
class RunList(Viewable):
    """Runs of one experiment, newest first: id, name, status, start (UTC), metrics, params."""

    experiment: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    tracking_uri: str = ""
    """The store that was read (password masked)."""

    @property
    def ok(self) -> bool:
        """A listing always succeeds (an unknown experiment has no runs)."""
        return True

    def __len__(self) -> int:
        return len(self.runs)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``mlops-jupyter runs --json``)."""
        from .._util import json_safe

        return {"ok": self.ok, "experiment": self.experiment, "tracking_uri": self.tracking_uri,
                "runs": json_safe(self.runs)}

    def to_frame(self) -> Any:
        """One row per run: run_id, run_name, status, start, then ``metrics.NAME`` and
        ``params.NAME`` columns (as in ``mlflow.search_runs``)."""
        import pandas as pd

        rows = [{"run_id": r["run_id"], "run_name": r["run_name"], "status": r["status"], "start": r["start"],
                 **{f"metrics.{k}": v for k, v in r.get("metrics", {}).items()},
                 **{f"params.{k}": v for k, v in r.get("params", {}).items()}} for r in self.runs]
        return pd.DataFrame(rows, columns=None if rows else ["run_id", "run_name", "status", "start"])

    def __repr__(self) -> str:
        return f"<RunList {self.experiment}: {len(self.runs)} runs>"


def _row(run: Any) -> dict[str, Any]:
    start = run.info.start_time
    return {
        "run_id": run.info.run_id, "run_name": run.info.run_name, "status": run.info.status,
        "start": dt.datetime.fromtimestamp(start / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if start else "",
        "metrics": dict(run.data.metrics), "params": dict(run.data.params),
    }


def runs(experiment: str | None = None, max_results: int = DEFAULT_MAX_RESULTS) -> RunList:
    """The newest runs of ``experiment`` (default: the active profile's) in the active
    profile's tracking store, at most ``max_results`` of them.

    ``mlops-jupyter runs [-e NAME] [--max N]`` prints the same list."""
    from ..config import mask_secret
    from ..session import session
    from . import store

    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise MlopsUsageError(f"max_results must be a positive whole number, not {max_results!r}")
    profile = session.profile()
    name = experiment or profile.experiment
    result = RunList(experiment=name, tracking_uri=mask_secret(profile.tracking_uri))
    client = store.client_for(profile, create=False)
    if client is None:
        return result
    with store.store_errors(f"cannot list the runs of experiment '{name}'", profile.tracking_uri):
        exp = client.get_experiment_by_name(name)
        if exp is None:
            return result
        found = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"],
                                   max_results=max_results)
    result.runs = [_row(r) for r in found]
    return result
