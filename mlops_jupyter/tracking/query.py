"""Read-side queries of the tracking store for the side panel and the REST routes.

Core code: no tornado, no IPython. Every function takes the tracking URI explicitly (the
server resolves it from the project configuration of the notebook in question) and
returns JSON-safe dicts. A SQLite store whose file does not exist yet is reported as
empty instead of being created: reading must never write.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from .._util import json_safe
from ..config import mask_secret
from ..errors import MlopsError, MlopsUsageError, TrackingError
from .store import read_client, scrub, store_exists, translate_error

NOTEBOOK_TAG = "mlops.notebook.path"
"""Tag holding the real absolute path of the notebook a run came from (tracking/api.py)."""

SNAPSHOT_SUFFIX = ".ipynb"
MAX_PAGE_SIZE = 500
MAX_HISTORY_POINTS = 2000
MAX_ARTIFACTS = 500
STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
ATTRIBUTE_SORTS = {
    "start_time": "attributes.start_time",
    "end_time": "attributes.end_time",
    "status": "attributes.status",
    "run_name": "attributes.run_name",
}
_METRIC_NAME = re.compile(r"^[\w.\-/ :]{1,250}$")
_RUN_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class RunNotFound(TrackingError):
    """No run with this id in the tracking store."""

    http_status = 404


@dataclass(frozen=True)
class RunPage:
    """One page of runs, newest or best first, and the token of the next page."""

    runs: list[dict[str, Any]]
    next_page_token: str | None
    metric_keys: list[str]
    experiment: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the REST reply."""
        return {
            "runs": self.runs,
            "next_page_token": self.next_page_token,
            "metric_keys": self.metric_keys,
            "experiment": self.experiment,
        }


def _client(tracking_uri: str) -> Any:
    client = read_client(tracking_uri)
    if client is None:  # callers ask store_exists first; a store deleted since is empty
        raise TrackingError(f"the tracking store {mask_secret(tracking_uri)} does not exist (nothing tracked yet)")
    return client


def _wrap(exc: Exception, what: str) -> TrackingError:
    return translate_error(exc, f"cannot {what}", hint="check the tracking URI of the active profile")


def _experiment_dict(exp: Any) -> dict[str, Any]:
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "lifecycle_stage": exp.lifecycle_stage,
        "creation_time": exp.creation_time,
        "last_update_time": exp.last_update_time,
        "tags": {k: scrub(str(v)) for k, v in (exp.tags or {}).items()},
    }


def list_experiments(tracking_uri: str, max_results: int = 200) -> list[dict[str, Any]]:
    """Active experiments of the store, most recently created first."""
    if not store_exists(tracking_uri):
        return []
    try:
        exps = _client(tracking_uri).search_experiments(
            max_results=max_results, order_by=["creation_time DESC"]
        )
    except Exception as exc:  # any store failure becomes one clear TrackingError
        raise _wrap(exc, "list experiments") from None
    return [_experiment_dict(e) for e in exps]


def find_experiment(tracking_uri: str, experiment: str) -> dict[str, Any] | None:
    """The experiment with this id or name, or None when it does not exist (yet)."""
    if not store_exists(tracking_uri):
        return None
    client = _client(tracking_uri)
    try:
        exp = client.get_experiment_by_name(experiment)
        if exp is None and experiment.isdigit():
            try:
                exp = client.get_experiment(experiment)
            except Exception:
                exp = None
    except Exception as exc:
        raise _wrap(exc, f"read experiment '{experiment}'") from None
    return _experiment_dict(exp) if exp is not None else None


def _quote(value: str) -> str:
    if "'" in value and '"' in value:
        raise MlopsUsageError("a filter value may not contain both ' and \"")
    return f"'{value}'" if "'" not in value else f'"{value}"'


def order_clause(sort: str | None, descending: bool = True) -> list[str]:
    """MLflow ``order_by`` for ``sort`` = start_time | end_time | status | run_name |
    ``metrics.<name>`` (any metric); the run id breaks ties so paging is stable."""
    direction = "DESC" if descending else "ASC"
    key = sort or "start_time"
    if key.startswith("metrics."):
        name = key[len("metrics.") :]
        if not _METRIC_NAME.match(name) or "`" in name:
            raise MlopsUsageError(f"cannot sort by metric '{name}': not a valid metric name")
        column = f"metrics.`{name}`"
    elif key in ATTRIBUTE_SORTS:
        column = ATTRIBUTE_SORTS[key]
    else:
        raise MlopsUsageError(
            f"cannot sort by '{key}'",
            hint="use start_time, end_time, status, run_name or metrics.<name>",
        )
    return [f"{column} {direction}", "attributes.run_id ASC"]


def run_filter(notebook: str | None = None, status: str | None = None) -> str:
    """MLflow filter string for runs of ``notebook`` (tag) with ``status``."""
    parts: list[str] = []
    if notebook:
        parts.append(f"tags.`{NOTEBOOK_TAG}` = {_quote(notebook)}")
    if status:
        value = status.upper()
        if value not in STATUSES:
            raise MlopsUsageError(f"unknown run status '{status}'", hint=f"use one of {', '.join(STATUSES)}")
        parts.append(f"attributes.status = '{value}'")
    return " and ".join(parts)


def _run_summary(run: Any) -> dict[str, Any]:
    info, data = run.info, run.data
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "metrics": json_safe(dict(data.metrics)),
        "params": {k: scrub(str(v)) for k, v in data.params.items()},
        "notebook": data.tags.get(NOTEBOOK_TAG),
    }


def search_runs(
    tracking_uri: str,
    experiment: str | None,
    *,
    notebook: str | None = None,
    status: str | None = None,
    sort: str | None = None,
    descending: bool = True,
    page_size: int = 50,
    page_token: str | None = None,
) -> RunPage:
    """One page of the runs of ``experiment`` (name or id; None: every active experiment),
    filtered and sorted by the store itself (SQL), so only one page is ever loaded."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise MlopsUsageError(f"page size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    order_by = order_clause(sort, descending)
    filter_string = run_filter(notebook, status)
    exp: dict[str, Any] | None = None
    if experiment is None:
        ids = [e["experiment_id"] for e in list_experiments(tracking_uri, max_results=1000)]
    else:
        exp = find_experiment(tracking_uri, experiment)
        ids = [exp["experiment_id"]] if exp else []
    if not ids:
        return RunPage(runs=[], next_page_token=None, metric_keys=[], experiment=exp)
    metric = sort[len("metrics.") :] if sort and sort.startswith("metrics.") else None
    _decode_offset(page_token)  # checked here for every store and caller, not only over REST
    if metric is not None and _is_sql_store(tracking_uri):
        return _metric_sorted_page(
            tracking_uri, ids, exp, metric, descending, notebook, status, page_size, page_token
        )
    try:
        page = _client(tracking_uri).search_runs(
            experiment_ids=ids,
            filter_string=filter_string,
            max_results=page_size,
            order_by=order_by,
            page_token=page_token or None,
        )
    except Exception as exc:
        if "page_token" in str(exc).lower() or "token" in str(exc).lower():
            raise MlopsUsageError("invalid page token", hint="start again from the first page") from None
        raise _wrap(exc, "search runs") from None
    runs = [_run_summary(r) for r in page]
    keys = sorted({k for r in runs for k in r["metrics"]})
    token = page.token
    if isinstance(token, bytes):  # the SQL store returns base64 bytes
        token = token.decode("ascii")
    return RunPage(runs=runs, next_page_token=token or None, metric_keys=keys, experiment=exp)


def _is_sql_store(uri: str) -> bool:
    return uri.split(":", 1)[0].split("+", 1)[0] in ("sqlite", "postgresql", "mysql", "mssql")


@functools.lru_cache(maxsize=8)
def _engine(uri: str) -> Any:
    import sqlalchemy

    return sqlalchemy.create_engine(uri, pool_pre_ping=True)


MAX_PAGE_OFFSET = 10**9  # a forged token with a huge offset is refused, never an OverflowError


def _decode_offset(token: str | None) -> int:
    """The offset in a page token (MLflow's format, base64 JSON ``{"offset": n}``); a forged
    or out-of-range token is a usage error for every caller, not a store error."""
    if not token:
        return 0
    try:
        data = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
        offset = data["offset"] if isinstance(data, dict) else None
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_PAGE_OFFSET:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError, UnicodeError):
        raise MlopsUsageError("invalid page token", hint="start again from the first page") from None
    return offset


def _metric_sorted_page(
    tracking_uri: str,
    experiment_ids: list[str],
    exp: dict[str, Any] | None,
    metric: str,
    descending: bool,
    notebook: str | None,
    status: str | None,
    page_size: int,
    page_token: str | None,
) -> RunPage:
    """Sort by a metric with one indexed SQL query on MLflow's schema.

    MLflow's own ``order_by metrics.x`` took over 10 s on 10,000 runs in SQLite; this
    query picks the page's run ids (runs without the metric, or NaN, last; the run id
    breaks ties) and loads only those runs through the client. The page token has
    MLflow's format (base64 JSON ``{"offset": n}``).
    """
    import sqlalchemy

    run_filter(notebook, status)  # same validation as the MLflow path
    offset = _decode_offset(page_token)
    direction = "DESC" if descending else "ASC"
    params: dict[str, Any] = {"metric": metric, "limit": page_size + 1, "offset": offset}
    exp_marks = []
    for i, eid in enumerate(experiment_ids):
        params[f"e{i}"] = int(eid) if str(eid).isdigit() else eid
        exp_marks.append(f":e{i}")
    joins = ""
    where = ""
    if notebook:
        joins = "JOIN tags t ON t.run_uuid = r.run_uuid AND t.key = :tag AND t.value = :notebook"
        params.update(tag=NOTEBOOK_TAG, notebook=notebook)
    if status:
        where = "AND r.status = :status"
        params["status"] = status.upper()
    sql = sqlalchemy.text(
        f"SELECT r.run_uuid FROM runs r "
        f"LEFT JOIN latest_metrics lm ON lm.run_uuid = r.run_uuid AND lm.key = :metric {joins} "
        f"WHERE r.experiment_id IN ({', '.join(exp_marks)}) AND r.lifecycle_stage = 'active' {where} "
        f"ORDER BY CASE WHEN lm.value IS NULL THEN 1 WHEN lm.is_nan THEN 1 ELSE 0 END, "
        f"lm.value {direction}, r.run_uuid LIMIT :limit OFFSET :offset"
    )
    try:
        with _engine(tracking_uri).connect() as conn:
            page_ids = [row[0] for row in conn.execute(sql, params)]
        more = len(page_ids) > page_size
        page_ids = page_ids[:page_size]
        loaded: dict[str, Any] = {}
        if page_ids:
            quoted = ", ".join(f"'{rid}'" for rid in page_ids if _RUN_ID.match(rid))
            for run in _client(tracking_uri).search_runs(
                experiment_ids=experiment_ids,
                filter_string=f"attributes.run_id IN ({quoted})",
                max_results=page_size,
            ):
                loaded[run.info.run_id] = run
    except MlopsError:
        raise
    except Exception as exc:
        raise _wrap(exc, "search runs") from None
    runs = [_run_summary(loaded[rid]) for rid in page_ids if rid in loaded]
    keys = sorted({k for r in runs for k in r["metrics"]})
    token = base64.b64encode(json.dumps({"offset": offset + page_size}).encode()).decode() if more else None
    return RunPage(runs=runs, next_page_token=token, metric_keys=keys, experiment=exp)


def _list_artifacts(client: Any, run_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    queue: list[str | None] = [None]
    while queue and len(out) < MAX_ARTIFACTS:
        folder = queue.pop(0)
        for info in client.list_artifacts(run_id, folder):
            if info.is_dir:
                queue.append(info.path)
            else:
                out.append({"path": info.path, "size": info.file_size})
            if len(out) >= MAX_ARTIFACTS:
                break
    return out


def _logged_models(client: Any, run: Any) -> list[dict[str, Any]]:
    """MLflow 3 stores models outside the run's artifact folder (as logged models): list the
    run's ready models with the artifacts, as ``models/<name>`` with their ``models:/`` URI."""
    outputs = getattr(getattr(run, "outputs", None), "model_outputs", None) or []
    out: list[dict[str, Any]] = []
    for output in outputs[:MAX_ARTIFACTS]:
        try:
            model = client.get_logged_model(output.model_id)
        except Exception:  # a model deleted since: nothing to show
            continue
        status = str(getattr(model, "status", "READY"))
        if status.rsplit(".", 1)[-1] != "READY":
            continue
        out.append({"path": f"models/{model.name}", "size": None, "model_uri": f"models:/{model.model_id}", "kind": "model"})
    return out


def get_run(tracking_uri: str, run_id: str, ui_url: str | None = None) -> dict[str, Any]:
    """One run: params, tags, metric histories, artifact list and its notebook snapshot."""
    if not _RUN_ID.match(run_id):
        raise MlopsUsageError(f"'{run_id[:80]}' is not a run id")
    if not store_exists(tracking_uri):
        raise RunNotFound(f"no run '{run_id}': the tracking store is empty")
    client = _client(tracking_uri)
    try:
        run = client.get_run(run_id)
    except Exception as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(exc) or "not found" in str(exc).lower():
            raise RunNotFound(f"no run '{run_id}' in the tracking store") from None
        raise _wrap(exc, f"read run '{run_id}'") from None
    try:
        histories: dict[str, list[dict[str, Any]]] = {}
        for key in sorted(run.data.metrics):
            points = client.get_metric_history(run_id, key)[-MAX_HISTORY_POINTS:]
            histories[key] = [
                json_safe({"step": p.step, "value": p.value, "timestamp": p.timestamp}) for p in points
            ]
        artifacts = _list_artifacts(client, run_id) + _logged_models(client, run)
    except Exception as exc:
        raise _wrap(exc, f"read run '{run_id}'") from None
    summary = _run_summary(run)
    snapshot = next((a["path"] for a in artifacts if a["path"].endswith(SNAPSHOT_SUFFIX)), None)
    base = ui_url.rstrip("/") if ui_url else None
    run_url = f"{base}/#/experiments/{run.info.experiment_id}/runs/{run_id}" if base else None
    summary.update(
        tags={k: scrub(str(v)) for k, v in run.data.tags.items()},
        metric_history=histories,
        artifacts=artifacts,
        notebook_snapshot={
            "artifact_path": snapshot,
            "url": f"{run_url}/artifacts/{snapshot}" if run_url and snapshot else None,
        },
        ui_url=run_url,
        artifact_uri=mask_secret(run.info.artifact_uri or ""),
    )
    return summary


__all__ = [
    "NOTEBOOK_TAG",
    "RunNotFound",
    "RunPage",
    "find_experiment",
    "get_run",
    "list_experiments",
    "order_clause",
    "run_filter",
    "scrub",
    "search_runs",
    "store_exists",
]
