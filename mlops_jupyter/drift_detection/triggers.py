"""What happens after a drift verdict: check history, run metrics, and ``--on-drift``
actions (raise, tag, webhook, run a retrain job)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

from ..errors import DriftDetected, MlopsError, MlopsUsageError, NoActiveRun

ACTIONS = ("raise", "tag", "webhook", "run")
_METRIC_BAD = re.compile(r"[^A-Za-z0-9_\-. /]")

OnDrift = str | tuple[str, str] | Callable[[Any], Any] | list[Any] | None


def parse_on_drift(on_drift: OnDrift) -> list[tuple[str, Any]]:
    """Normalise ``on_drift`` into ``[(action, argument)]``.

    Accepts ``"raise"``, ``"tag"``, ``"webhook URL"``, ``"run JOB"``, tuples such as
    ``("webhook", url)``, a callable ``f(report)``, or a list of those.
    """
    if on_drift is None:
        return []
    if isinstance(on_drift, list):
        return [a for item in on_drift for a in parse_on_drift(item)]
    if callable(on_drift):
        return [("call", on_drift)]
    if isinstance(on_drift, tuple):
        parts = [str(x) for x in on_drift]
    elif isinstance(on_drift, str):
        parts = on_drift.split(None, 1)
    else:
        raise MlopsUsageError(f"on_drift must be a string, tuple, callable or list, not {type(on_drift).__name__}")
    if not parts or parts[0] not in ACTIONS:
        raise MlopsUsageError(
            f"unknown on_drift action {on_drift!r}",
            hint="use raise | tag | webhook URL | run JOB_DIR",
        )
    action = parts[0]
    arg = parts[1].strip() if len(parts) > 1 else None
    if action in ("webhook", "run") and not arg:
        raise MlopsUsageError(f"on_drift '{action}' needs an argument ({'URL' if action == 'webhook' else 'JOB_DIR'})")
    if action in ("raise", "tag") and arg:
        raise MlopsUsageError(f"on_drift '{action}' takes no argument (got {arg!r})")
    return [(action, arg)]


def active_run() -> Any:
    """The active tracking run handle, or None (also when tracking is not available)."""
    try:
        from ..tracking import current_run
    except ImportError:
        return None
    try:
        return current_run()
    except MlopsError:
        return None


def metric_name(text: str) -> str:
    return _METRIC_BAD.sub("_", text)[:250]


def report_metrics(report: Any) -> dict[str, float]:
    """Scores of one report as run metrics (drift share, verdict, per-column scores)."""
    out: dict[str, float] = {"drift.drifted": float(report.drifted)}
    if report.share is not None:
        out["drift.share"] = float(report.share)
    for col in [*report.columns, *report.extras]:
        if col.score is not None and col.status in ("ok", "drift"):
            out[metric_name(f"drift.{col.column}")] = float(col.score)
    return out


def log_to_run(result: Any) -> bool:
    """Log scores into the active run (one step per window for a timeline)."""
    run = active_run()
    if run is None:
        return False
    reports = result.reports if hasattr(result, "windows") else [result]
    steps = range(len(reports)) if hasattr(result, "windows") else [None]
    for step, rep in zip(steps, reports, strict=True):
        run.log_metrics(report_metrics(rep), step=step)
    return True


def record(result: Any) -> None:
    """Append the verdict to the check history (never fails the drift call)."""
    from ..checks import record_check

    try:
        record_check("drift", result.name, result.ok, result.summary())
    except Exception as exc:  # the check history is a convenience; drift results stand
        warnings.warn(f"could not record the drift check: {exc}", stacklevel=3)


def fire(result: Any, actions: list[tuple[str, Any]], fail: bool) -> list[str]:
    """Run the actions when ``result.drifted``; ``raise``/``fail`` go last.

    Webhooks are delivered with the ``[webhook]`` settings of the project config, which are
    checked first, drift or not, so a bad table is reported before any action runs.
    """
    done: list[str] = []
    hook_settings = None
    if any(a == "webhook" for a, _ in actions):
        from ..webhook import webhook_settings

        hook_settings = webhook_settings()
    if not result.drifted:
        return done
    summary = result.summary()
    for action, arg in actions:
        if action == "tag":
            _tag(result)
            done.append("tagged the active run")
        elif action == "webhook":
            from ..webhook import deliver

            res = deliver(arg, {"event": "drift", **summary}, hook_settings)
            done.append(f"webhook {arg}: HTTP {res.status}")
        elif action == "run":
            done.append(_run_job(arg))
        elif action == "call":
            arg(result)
            done.append(f"called {getattr(arg, '__name__', 'callback')}")
    result.actions.extend(done)
    if fail or any(a == "raise" for a, _ in actions):
        cols = ", ".join(summary.get("drifted_columns") or summary.get("drifted_windows") or [])
        share = summary.get("share")
        share_txt = f"{share:.0%} of columns" if isinstance(share, float) else "drift"
        raise DriftDetected(
            f"drift detected in {result.name}: {share_txt}" + (f" ({cols})" if cols else ""),
            report=result,
            hint="inspect the report (exc.report) or rerun %drift without --fail/--on-drift raise",
        )
    return done


def _tag(result: Any) -> None:
    run = active_run()
    if run is None:
        raise NoActiveRun("--on-drift tag needs an active run to tag")
    summary = result.summary()
    cols = summary.get("drifted_columns") or summary.get("drifted_windows") or []
    tags = {
        "drift.detected": "true",
        "drift.name": str(result.name)[:250],
        "drift.method": str(result.method),
        "drift.columns": ",".join(map(str, cols))[:5000],
    }
    if summary.get("share") is not None:
        tags["drift.share"] = f"{summary['share']:.4f}"
    run.set_tags(tags)


def _run_job(job_dir: str) -> str:
    import importlib

    try:
        run_job = getattr(importlib.import_module("mlops_jupyter.export"), "run_job", None)
    except ImportError:
        run_job = None
    if run_job is None:
        raise MlopsError(
            f"cannot start job {job_dir}: the job runner is unavailable in this installation",
            hint="export the retrain notebook with `jupyter nbconvert --to mlops_job` and run it with `mlops-jupyter run`",
        )
    outcome = run_job(job_dir)
    code = getattr(outcome, "exit_code", None)
    if code not in (None, 0):
        raise MlopsError(
            f"retrain job {job_dir} failed (exit code {code}): {getattr(outcome, 'error', '') or ''}",
            hint="inspect the job's executed notebook; the drift report is in exc.data['report']",
            report=None,
        )
    return f"ran job {job_dir}: exit {code if code is not None else 'ok'}"
