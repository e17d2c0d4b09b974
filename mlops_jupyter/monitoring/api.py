"""``mj.monitor``: service health, latency, drift and model quality per window, from the
inference log, the feedback labels and the gateway's health history."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MlopsUsageError
from .report import MonitorReport
from .slo import SloResult, check_slo, parse_slo

MAX_DRIFT_ROWS = 5000  # rows of one window's inputs compared with the reference
MAX_PRED_ROWS = 2000   # latest predictions of one window compared with the first window


def window_seconds(window: str | float | int) -> float:
    """``"5min"``, ``"30s"``, ``"1h"``, ``"1d"`` or a number of seconds."""
    if isinstance(window, (int, float)) and not isinstance(window, bool):
        seconds = float(window)
    else:
        try:
            seconds = pd.Timedelta(str(window)).total_seconds()
        except ValueError:
            raise MlopsUsageError(f"window {window!r} is not a duration", hint="e.g. 30s, 5min, 1h") from None
    if not seconds > 0:
        raise MlopsUsageError(f"window must be positive, got {window!r}")
    return seconds


def _service(service: Any) -> tuple[str, Path, dict[str, Any]]:
    from ..serving.service import find_service

    if isinstance(service, str):
        state = find_service(service)
        assert state is not None
        return service, Path(state["folder"]), state
    if hasattr(service, "folder") and hasattr(service, "name"):
        state = find_service(service.name, required=False) or {}
        return str(service.name), Path(service.folder), state
    raise MlopsUsageError(f"monitor wants a service name or a Service, not {type(service).__name__}")


def health_events(folder: Path) -> list[dict[str, Any]]:
    path = folder / "health.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def down_intervals(events: list[dict[str, Any]], arms: Sequence[str], now: float) -> tuple[dict[str, list[tuple[float, float]]], dict[str, float]]:
    """Per arm: the intervals it was down while the service was meant to run, and uptime.

    A deliberate stop of the gateway ("gateway stopped") ends an observed period and the
    next start begins one: time between them is not downtime. A gateway killed without
    that event (SIGKILL, crash) counts as down for every arm until it starts again."""
    out: dict[str, list[tuple[float, float]]] = {}
    uptime: dict[str, float] = {}
    for arm in arms:
        intervals: list[tuple[float, float]] = []
        observed = 0.0
        period_start: float | None = None
        arm_up = True
        down_since: float | None = None
        for e in events:
            t = float(e["time"])
            if e.get("arm") is None and e.get("up"):  # gateway started (after a stop or a crash)
                if period_start is not None:  # no stop event before: it crashed
                    observed += t - period_start
                    intervals.append((down_since if down_since is not None else _last_time(events, e), t))
                    down_since = None
                period_start, arm_up = t, True
            elif e.get("arm") is None:  # deliberate stop: close the period
                if period_start is not None:
                    observed += t - period_start
                if down_since is not None:
                    intervals.append((down_since, t))
                period_start, down_since = None, None
            elif e.get("arm") == arm and period_start is not None:
                if not e.get("up") and arm_up:
                    down_since = t
                elif e.get("up") and not arm_up and down_since is not None:
                    intervals.append((down_since, t))
                    down_since = None
                arm_up = bool(e.get("up"))
        if period_start is not None:
            observed += now - period_start
            if down_since is not None:
                intervals.append((down_since, now))
        out[arm] = intervals
        down = sum(b - a for a, b in intervals)
        uptime[arm] = max(0.0, 1.0 - down / observed) if observed > 0 else float("nan")
    return out, uptime


def _last_time(events: list[dict[str, Any]], before: dict[str, Any]) -> float:
    """Time of the last event before ``before`` (where a crashed gateway was last heard)."""
    last = float(events[0]["time"])
    for e in events:
        if e is before:
            break
        last = float(e["time"])
    return last


def _label_value(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _arrow_strings(texts: pd.Series) -> Any:
    import pyarrow as pa

    arr = pa.array(texts.astype("string[pyarrow]").array) if len(texts) else pa.array([], pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def isin(values: pd.Series, other: pd.Series) -> np.ndarray:
    """``values.isin(other)`` for string columns by one Arrow hash lookup (pandas turns
    ``other`` into a Python list first: seconds for 100,000 ids)."""
    import pyarrow.compute as pc

    return np.asarray(pc.is_in(_arrow_strings(values), value_set=_arrow_strings(other)).to_numpy(zero_copy_only=False), dtype=bool)


NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(inf|Infinity|nan|NaN)$"


def scalars(texts: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Vectorised reading of JSON values that hold one scalar (``1``, ``[1]``, ``"a"``,
    ``["a"]``): ``(number or NaN, text, is_single)``; anything else is not single.
    Arrow compute kernels throughout (``pd.to_numeric`` on strings runs in Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(pc.fill_null(_arrow_strings(texts), ""))
    # removeprefix("[") / removesuffix("]") by slicing (a regex replace costs ten times more)
    s = pc.if_else(pc.starts_with(s, "["), pc.utf8_slice_codeunits(s, 1), s)
    inner = pc.utf8_trim_whitespace(pc.if_else(pc.ends_with(s, "]"), pc.utf8_slice_codeunits(s, 0, -1), s))
    single = pc.and_(pc.invert(pc.match_substring_regex(inner, r"[\[\]{},]")), pc.not_equal(inner, ""))
    numeric = pc.and_(single, pc.match_substring_regex(inner, NUMBER_RE))
    number = pc.cast(pc.if_else(numeric, inner, pa.scalar(None, pa.string())), pa.float64())
    text = pc.utf8_trim(inner, '"')
    index = texts.index
    return (pd.Series(number.to_numpy(zero_copy_only=False), index=index, dtype="float64"),
            pd.Series(text, index=index, dtype="string[pyarrow]"),
            pd.Series(single.to_numpy(zero_copy_only=False), index=index, dtype=bool))


def quality_frame(log: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Labelled requests: one row per labelled request (row by row for multi-row requests)
    with ``arm``, ``time``, ``correct`` (classification), ``sq_error`` (numeric label) and
    ``score`` (the positive class's probability, when a binary model gives one).

    A label that is not a whole number is a regression target. A binary label (0/1) with a
    prediction in [0, 1] that is not a whole number is a probability: it is the row's score,
    and the row is correct when it is on the label's side of 0.5; ``predict_proba``-style
    ``[p0, p1]`` and ``{"probability": p}`` predictions give scores too. Single values are
    compared vectorised; others one by one."""
    cols = ["request_id", "arm", "time", "correct", "sq_error", "score", "label"]
    if feedback.empty or log.empty:
        return pd.DataFrame(columns=cols)
    # the labelled few first (a hash lookup), then the join on them alone
    labelled = log.loc[isin(log["request_id"], feedback["request_id"]), ["request_id", "arm", "time", "prediction"]]
    joined = labelled.merge(feedback[["request_id", "label"]], on="request_id")
    p_num, p_txt, p_one = scalars(joined["prediction"])
    y_num, y_txt, y_one = scalars(joined["label"])
    fast = p_one & y_one
    numeric = y_num.notna() & (y_num != y_num.round())  # a non-integer label: regression
    both_num = p_num.notna() & y_num.notna()
    binary = y_num.isin([0.0, 1.0])
    proba = binary & p_num.between(0.0, 1.0) & (p_num != p_num.round())
    correct = np.where(proba, (p_num >= 0.5) == (y_num == 1.0),
                       np.where(both_num, p_num == y_num, p_txt == y_txt)).astype("float64")
    out = pd.DataFrame({"request_id": joined["request_id"], "arm": joined["arm"], "time": joined["time"],
                        "correct": np.where(numeric, np.nan, correct),
                        "sq_error": np.where(numeric & both_num, (p_num - y_num) ** 2, np.nan),
                        "score": np.where(proba, p_num, np.nan),
                        "label": np.where(binary, y_num, np.nan)})[fast.to_numpy()]
    rows = []
    for rid, arm, t, pred, label in joined[~fast.to_numpy()].itertuples(index=False):
        preds = _label_value(pred)
        labels = _label_value(label)
        preds = preds if isinstance(preds, list) else [preds]
        labels = labels if isinstance(labels, list) else [labels]
        if len(labels) == 1 and len(preds) == 2 and _probabilities(preds):  # one row's [p0, p1]
            preds = [preds]
        for p, y in zip(preds, labels, strict=False):
            p = p[0] if isinstance(p, list) and len(p) == 1 else p
            rows.append((rid, arm, t, *_row_quality(p, y)))
    if rows:
        out = pd.concat([out, pd.DataFrame(rows, columns=cols)], ignore_index=True)
    for col in ("correct", "sq_error", "score", "label"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out.reset_index(drop=True)


SCORE_KEYS = ("probability", "proba", "score", "p1")


def _probabilities(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value)
            and all(0.0 <= float(v) <= 1.0 for v in value) and abs(float(value[0]) + float(value[1]) - 1.0) < 1e-6)


def _row_quality(p: Any, y: Any) -> tuple[float | None, float | None, float | None, float | None]:
    """(correct, squared error, score, binary label) of one prediction against its label."""
    is_num = isinstance(y, float) and not float(y).is_integer()
    if is_num:
        return None, ((float(p) - float(y)) ** 2 if isinstance(p, (int, float)) else None), None, None
    binary = isinstance(y, (int, float)) and not isinstance(y, bool) and float(y) in (0.0, 1.0)
    score: float | None = None
    if isinstance(p, dict):
        found = next((p[k] for k in SCORE_KEYS if isinstance(p.get(k), (int, float))), None)
        score = float(found) if found is not None else None
        p = p.get("label", p.get("prediction", p))
    elif _probabilities(p):
        score = float(p[1])
    elif isinstance(p, float) and 0.0 <= p <= 1.0 and not p.is_integer():
        score = p
    if binary and score is not None:
        return float((score >= 0.5) == (float(y) == 1.0)), None, score, float(y)
    return float(_same(p, y)), None, None, float(y) if binary else None


def auc(scores: pd.Series, labels: pd.Series) -> float | None:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (Mann-Whitney U with tied
    scores counted half); None without both classes."""
    from scipy.stats import rankdata

    ok = scores.notna() & labels.isin([0.0, 1.0])
    s, y = scores[ok].to_numpy(dtype="float64"), labels[ok].to_numpy(dtype="float64")
    n_pos = int((y == 1.0).sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(s)
    return float((ranks[y == 1.0].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _same(p: Any, y: Any) -> bool:
    if isinstance(p, (int, float)) and isinstance(y, (int, float)):
        return float(p) == float(y)
    return str(p) == str(y)


def _window_stats(log: pd.DataFrame, seconds: float) -> pd.DataFrame:
    if log.empty:
        return pd.DataFrame(columns=["window", "arm", "requests", "request_rate", "error_rate", "client_error_rate",
                                     "p50_latency", "p95_latency", "p99_latency"])
    frame = log[["time", "arm", "status", "latency_ms"]].copy()
    frame["window"] = (frame["time"] // seconds) * seconds
    frame["err"] = (frame["status"] >= 500).astype(float)
    frame["cerr"] = ((frame["status"] >= 400) & (frame["status"] < 500)).astype(float)
    ok_lat = frame["latency_ms"].where(frame["status"] < 500)
    frame["lat"] = ok_lat
    g = frame.groupby(["window", "arm"], sort=True)
    out = g.agg(requests=("time", "size"), error_rate=("err", "mean"), client_error_rate=("cerr", "mean")).reset_index()
    qs = g["lat"].quantile(np.array([0.5, 0.95, 0.99])).unstack()
    qs.columns = ["p50_latency", "p95_latency", "p99_latency"]
    out = out.merge(qs.reset_index(), on=["window", "arm"], how="left")
    out["request_rate"] = out["requests"] / seconds
    return out


def _tails(windows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sorted by time (so each window's rows are contiguous): the windows, the
    start of each window's last ``n`` rows and the end of each window (positions)."""
    keys, starts = np.unique(windows, return_index=True)
    ends = np.append(starts[1:], len(windows))
    return keys, np.maximum(starts, ends - n), ends


def _take(series: pd.Series, positions: np.ndarray) -> pd.Series:
    return series.iloc[positions] if len(positions) else series.iloc[0:0]


def _drift_by_window(log: pd.DataFrame, reference: Any, seconds: float) -> dict[float, dict[str, Any]]:
    """Input drift against ``reference`` (summarised once) and prediction drift against the
    first window (summarised once), per window (all arms together). Only the latest rows of
    each window are read (``MAX_DRIFT_ROWS`` inputs, ``MAX_PRED_ROWS`` predictions), picked
    by position before any text column is touched."""
    from ..drift_detection.api import drift
    from ..drift_detection.report import DriftReport
    from ..drift_detection.summary import ReferenceSummary, summarize_reference

    ok_pos = np.flatnonzero(log["status"].to_numpy() < 400)
    if not len(ok_pos):
        return {}
    windows = (log["time"].to_numpy()[ok_pos] // seconds) * seconds
    keys, pred_from, ends = _tails(windows, MAX_PRED_ROWS)
    ref_sum = None
    if reference is not None:
        ref_sum = reference if isinstance(reference, ReferenceSummary) else summarize_reference(reference)
    in_from = _tails(windows, MAX_DRIFT_ROWS)[1]
    # predictions: the latest MAX_PRED_ROWS of each window, read in one vectorised pass
    pred_pos = np.concatenate([np.arange(a, e) for a, e in zip(pred_from, ends, strict=True)])
    preds = _take(log["prediction"], ok_pos[pred_pos])
    p_num, p_txt, p_one = scalars(preds)
    p_num_a, p_txt_a, p_one_a, texts = p_num.to_numpy(), p_txt.to_numpy(), p_one.to_numpy(), preds.to_numpy()
    out: dict[float, dict[str, Any]] = {}
    first_preds: Any = None  # the first window's predictions, summarised once
    first_n = 0
    offset = 0
    for w, a, e, ia in zip(keys, pred_from, ends, in_from, strict=True):
        entry: dict[str, Any] = {}
        if ref_sum is not None:
            inputs = _take(log["inputs"], ok_pos[ia:e])
            records = [r for text in inputs for r in (_label_value(text) or []) if isinstance(r, dict)]
            if records:
                cur = pd.DataFrame.from_records(records[-MAX_DRIFT_ROWS:])
                cols = [c for c in cur.columns if c in ref_sum.columns]
                if cols:
                    rep = drift(ref_sum, cur[cols], columns=cols, record_check=False, name=f"window {w}")
                    assert isinstance(rep, DriftReport)
                    entry["drift_share"] = rep.share
                    entry["drifted_columns"] = list(rep.drifted_columns)
        k = slice(offset, offset + (e - a))
        offset += e - a
        if p_one_a[k].all():
            values = p_num_a[k] if not np.isnan(p_num_a[k]).any() else p_txt_a[k]
            pframe = pd.DataFrame({"prediction": values})
        else:
            pframe = pd.DataFrame({"prediction": [p for text in texts[k] for p in _flat(_label_value(text))]})
        if first_preds is None:
            first_preds, first_n = (summarize_reference(pframe) if len(pframe) else pframe), len(pframe)
        elif len(pframe) and first_n:
            rep = drift(first_preds, pframe, record_check=False, name=f"predictions window {w}")
            assert isinstance(rep, DriftReport)
            col = rep.columns[0] if rep.columns else None
            entry["prediction_drift"] = col.score if col is not None else None
            entry["prediction_drifted"] = bool(rep.drifted)
        out[float(w)] = entry
    return out


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [v[0] if isinstance(v, list) and len(v) == 1 else v for v in value if not isinstance(v, dict)]
    return [] if value is None or isinstance(value, (dict, str)) else [value]


def monitor(service: Any, reference: Any = None, window: str | float = "5min", *,
            slo: Sequence[str] | str | None = None, since: float | None = None,
            on_breach: Any = None) -> MonitorReport:
    """Health, latency, drift and quality of ``service`` (a name or a :class:`Service`).

    ``reference``: the model's training inputs (DataFrame, path or ``summarize_reference``
    result) for input drift per window. ``window``: window length ("5min", "1h", seconds).
    ``slo``: rules like ``"p95_latency < 200 ms"``, ``"error_rate < 1%"``,
    ``"drift_share < 0.3"``, ``"accuracy >= 0.85 mostly 0.9"``. ``since``: only requests
    from this epoch time on. ``on_breach``: the drift triggers ("raise", "tag",
    "webhook URL", "run JOB", a callable, or a list) fired when an SLO is breached.
    """
    t0 = time.perf_counter()
    seconds = window_seconds(window)
    rules = [parse_slo(r) for r in ([slo] if isinstance(slo, str) else list(slo or []))]
    from ..drift_detection.triggers import parse_on_drift

    actions = parse_on_drift(on_breach)
    name, folder, state = _service(service)
    if reference is not None and not hasattr(reference, "columns"):
        from ..drift_detection.io import as_frame

        reference = as_frame(reference, "reference")[0]
    from ..serving.log import read_log

    # only the columns the report reads (inputs, the bulk of the log, only for input drift)
    wanted = ["arm", "status", "latency_ms", "prediction", *(["inputs"] if reference is not None else [])]
    log = read_log(folder, "requests", since=since, columns=wanted)
    feedback = read_log(folder, "feedback", columns=["label"])
    now = time.time()
    arms = list(state.get("arms") or sorted(set(log["arm"].dropna()))) or ["champion"]
    intervals, uptime = down_intervals(health_events(folder), arms, now)
    wins = _window_stats(log, seconds)
    quality = quality_frame(log, feedback)
    if not quality.empty:
        quality["window"] = (quality["time"] // seconds) * seconds
        q = quality.groupby(["window", "arm"]).agg(accuracy=("correct", "mean"), rmse=("sq_error", "mean"),
                                                   labelled=("request_id", "size")).reset_index()
        q["rmse"] = np.sqrt(q["rmse"])
        if quality["score"].notna().any():
            aucs = {key: auc(g["score"], g["label"]) for key, g in quality.groupby(["window", "arm"])}
            q["auc"] = [aucs.get((w, a)) for w, a in q[["window", "arm"]].itertuples(index=False)]
            q["auc"] = q["auc"].astype("float64")
        wins = wins.merge(q, on=["window", "arm"], how="left")
    drift_w = _drift_by_window(log, reference, seconds) if not log.empty else {}
    per_arm = []
    for arm in arms:
        rows = log.loc[(log["arm"] == arm).to_numpy(dtype=bool, na_value=False), ["status", "latency_ms"]]
        lat = rows.loc[rows["status"] < 500, "latency_ms"]
        qa = quality[quality["arm"] == arm] if not quality.empty else quality
        per_arm.append({
            "arm": arm, "model_version": str((state.get("arms") or {}).get(arm, {}).get("version") or ""),
            "requests": len(rows), "error_rate": float((rows["status"] >= 500).mean()) if len(rows) else None,
            "p50_latency": _q(lat, 0.5), "p95_latency": _q(lat, 0.95), "p99_latency": _q(lat, 0.99),
            "uptime": uptime.get(arm), "labelled": len(qa),
            "accuracy": float(qa["correct"].mean()) if len(qa) and qa["correct"].notna().any() else None,
            "auc": auc(qa["score"], qa["label"]) if len(qa) and qa["score"].notna().any() else None,
        })
    report = MonitorReport(
        service=name, url=str(state.get("url", "")), running=bool(state.get("running")), window=str(window),
        window_s=seconds, generated=now, arms=per_arm, windows=wins, drift=drift_w, down=intervals,
        slo=[_check(rule, wins, drift_w, uptime) for rule in rules], reference=reference is not None,
    )
    report.elapsed_s = time.perf_counter() - t0
    if actions or report.breached:
        _fire(report, actions)
    return report


def _q(series: pd.Series, q: float) -> float | None:
    return float(series.quantile(q)) if len(series) else None


def _check(rule: Any, wins: pd.DataFrame, drift_w: dict[float, dict[str, Any]], uptime: dict[str, float]) -> SloResult:
    if rule.measure in ("drift_share", "prediction_drift"):
        values = [(str(w), d.get(rule.measure)) for w, d in drift_w.items()]
    elif rule.measure == "uptime":
        values = [(arm, v) for arm, v in uptime.items()]
    elif rule.measure in wins.columns:
        values = [(f"{w}/{a}", None if pd.isna(v) else float(v)) for w, a, v in wins[["window", "arm", rule.measure]].itertuples(index=False)]
    else:
        values = []
    return check_slo(rule, values)


def _fire(report: MonitorReport, actions: list[tuple[str, Any]]) -> None:
    """Breaches go to the drift triggers (tag / webhook / run / callable); ``raise`` last."""
    from ..drift_detection.triggers import fire
    from ..errors import SloBreached

    others = [a for a in actions if a[0] != "raise"]
    if others and report.breached:
        fire(report, others, False)
    if report.breached and any(a == "raise" for a, _ in actions):
        raise SloBreached(f"service {report.service}: SLO breached: {', '.join(r.rule for r in report.slo if not r.ok)}",
                          report=report, hint="see exc.report for the windows that failed")
