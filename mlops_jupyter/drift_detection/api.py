"""``mj.drift``: compare a current frame (or its time windows) with a reference."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._parallel import parallel_map
from ..errors import MlopsUsageError
from .engine import ROBUST_MIN_EFFECT, apply_robust, compare
from .io import as_frame
from .report import ColumnDrift, DriftReport, DriftTimeline, DriftWindow
from .stats import ALIASES, METHODS, method_by_name
from .summary import ColumnSummary, ReferenceSummary, summarize_column
from .triggers import OnDrift, fire, log_to_run, parse_on_drift, record
from .windows import check_min_rows, local_times, periods_of, resolve_min_rows, too_small_reason


def _method_name(method: str) -> str:
    if method in ("auto", "robust"):
        return method
    try:
        return method_by_name(method).name
    except KeyError:
        names = ", ".join(["auto", "robust", *METHODS])
        raise MlopsUsageError(f"unknown drift method {method!r}", hint=f"choose one of: {names}") from None


def _per_column(per_column: Mapping[str, Any] | None) -> dict[str, tuple[str, float | None]]:
    out: dict[str, tuple[str, float | None]] = {}
    for col, spec in (per_column or {}).items():
        if isinstance(spec, (tuple, list)):
            name, thr = spec[0], (float(spec[1]) if len(spec) > 1 and spec[1] is not None else None)
        else:
            name, thr = spec, None
        out[str(col)] = (_method_name(str(name)), thr)
    return out


def _reference(reference: Any, columns: list[str] | None) -> tuple[pd.DataFrame | None, ReferenceSummary | None, str]:
    if isinstance(reference, ReferenceSummary):
        return None, reference, reference.source
    frame, label = as_frame(reference, "reference")
    return frame, None, label


def drift(
    reference: Any,
    current: Any = None,
    columns: Sequence[str] | None = None,
    method: str = "auto",
    threshold: float | None = None,
    *,
    by: str | None = None,
    freq: str | None = None,
    prediction: str | None = None,
    target: str | None = None,
    fail: bool = False,
    on_drift: OnDrift = None,
    per_column: Mapping[str, Any] | None = None,
    drift_share: float = 0.5,
    min_effect: float = ROBUST_MIN_EFFECT,
    min_window_rows: int | None = None,
    name: str | None = None,
    record_check: bool = True,
    engine: str | None = None,
) -> DriftReport | DriftTimeline:
    """Drift of ``current`` against ``reference``, per column and for the dataset.

    ``reference``/``current``: DataFrames, CSV/Parquet paths, or (reference only) a
    :func:`summarize_reference` result. ``method``: ``"auto"`` (Evidently's default choice
    per column), ``"robust"`` (significant after Benjamini-Hochberg at ``threshold`` or
    0.05 AND an effect ≥ ``min_effect``: Wasserstein shift, Cohen's h or Cohen's w), or a
    test name (ks, chisquare, z, psi, wasserstein, jensenshannon, kl_div, hellinger, tvd,
    anderson, cramer_von_mises, mannwhitney, t_test, energy, fisher; chisquare_evidently
    is Evidently's one-sample chi-square, for comparisons only). ``per_column`` maps a column to a method name
    or ``(method, threshold)``. ``prediction``/``target`` columns are reported apart.
    With ``by`` (a time column of ``current``) and ``freq`` (D, W, M…), returns a
    :class:`DriftTimeline` of one report per window, cut on the column's local time; without
    a reference the first window is the reference. Windows with fewer rows than
    ``min_window_rows`` are marked "too small" and not tested (None: ``[drift]
    min_window_rows`` of the config, else a tenth of the median window). ``on_drift``: "raise" | "tag" | "webhook URL" | "run JOB" | callable
    (or a list); ``fail=True`` raises :class:`DriftDetected` on drift. ``engine``: ``pandas`` |
    ``duckdb`` (default: chosen from the data; a folder, glob or DuckDB relation summarises
    every column inside DuckDB, see :mod:`mlops_jupyter.engines.sqldrift`).
    """
    start = time.perf_counter()
    meth = _method_name(method)
    overrides = _per_column(per_column)
    actions = parse_on_drift(on_drift)
    if not 0 < drift_share <= 1:
        raise MlopsUsageError(f"drift_share must be in (0, 1], got {drift_share}")
    if threshold is not None and not (isinstance(threshold, (int, float)) and threshold == threshold):
        raise MlopsUsageError(f"threshold must be a number, got {threshold!r}")
    if by is None and current is None:
        raise MlopsUsageError("drift needs a current frame", hint="mj.drift(reference, current) or pass by= for windows")
    if by is None and freq is not None:
        raise MlopsUsageError("freq needs by= (the time column to window on)")
    min_rows = check_min_rows(min_window_rows)
    if by is None and min_rows is not None:
        raise MlopsUsageError("min_window_rows needs by= (the time column to window on)")
    cols = list(columns) if columns is not None else None
    opts = dict(method=meth, threshold=threshold, overrides=overrides, prediction=prediction,
                target=target, drift_share=drift_share, min_effect=min_effect, min_window_rows=min_rows)
    result: DriftReport | DriftTimeline
    from ..engines.source import detect_engine

    chosen = detect_engine(current if current is not None else reference, engine)
    if chosen != "pandas":
        from ..engines.drift_entry import drift_in_engine

        result = drift_in_engine(chosen, reference, current, cols, by, freq, name, opts)
    elif by is not None:
        result = _timeline(reference, current, cols, by, freq or "D", name, opts)
    else:
        ref_frame, ref_sum, ref_label = _reference(reference, cols)
        cur_frame, cur_label = as_frame(current, "current")
        label = name or f"{ref_label} vs {cur_label}"
        result = _report(ref_frame, ref_sum, cur_frame, cols, label, None, opts)
    result.elapsed_s = time.perf_counter() - start
    if record_check:
        record(result)
    log_to_run(result)
    fire(result, actions, fail)
    return result


def _select_columns(ref_cols: list[str], cur_cols: list[str], cols: list[str] | None,
                    exclude: set[str]) -> list[str]:
    if cols is not None:
        missing = [c for c in cols if c not in ref_cols and c not in cur_cols]
        if missing:
            raise MlopsUsageError(f"columns not found in reference or current: {', '.join(missing)}")
        return [c for c in cols if c not in exclude]
    return [c for c in ref_cols if c not in exclude]


def _report(ref_frame: pd.DataFrame | None, ref_sum: ReferenceSummary | None, cur: pd.DataFrame | ReferenceSummary,
            cols: list[str] | None, label: str, window: str | None, opts: dict[str, Any]) -> DriftReport:
    """One report; ``cur`` is a frame, or (engines) the current side's summaries."""
    ref_cols = [str(c) for c in (ref_frame.columns if ref_frame is not None else ref_sum.columns)]  # type: ignore[union-attr]
    cur_sum = cur if isinstance(cur, ReferenceSummary) else None
    cur_list = list(cur_sum.columns) if cur_sum is not None else [str(c) for c in cur.columns]
    pred, tgt = opts["prediction"], opts["target"]
    for role, col in (("prediction", pred), ("target", tgt)):
        if col is not None and (col not in ref_cols or col not in cur_list):
            raise MlopsUsageError(f"{role} column {col!r} must be in both reference and current")
    exclude = {c for c in (pred, tgt) if c is not None} | set(opts.get("exclude", ()))
    features = _select_columns(ref_cols, cur_list, cols, exclude)
    jobs = [(c, "feature") for c in features]
    jobs += [(c, role) for c, role in ((pred, "prediction"), (tgt, "target")) if c is not None]
    cur_cols = set(cur_list)

    def one(job: tuple[str, str]) -> ColumnDrift:
        col, role = job
        if col not in ref_cols or col not in cur_cols:
            side = "reference" if col not in ref_cols else "current"
            return ColumnDrift(column=col, kind="missing", role=role, method=None,
                               why=f"missing in {side}", reason=f"column missing in {side}")
        ref_s = ref_sum.columns[col] if ref_sum is not None else summarize_column(ref_frame[col])  # type: ignore[index]
        kind = ref_s.kind if ref_s.kind != "text" else None
        if cur_sum is not None:
            cur_s = cur_sum.columns[col]
        else:
            cur_s = summarize_column(cur[col], _cur_kind(kind, cur[col]))  # type: ignore[index]
        meth, thr = opts["overrides"].get(col, (opts["method"], opts["threshold"]))
        return compare(ref_s, cur_s, role=role, method=meth, threshold=thr, min_effect=opts["min_effect"])

    results = parallel_map(one, jobs)
    feats = [r for r in results if r.role == "feature"]
    extras = [r for r in results if r.role != "feature"]
    if opts["method"] == "robust" or any(m == "robust" for m, _ in opts["overrides"].values()):
        alpha = opts["threshold"] if opts["method"] == "robust" and opts["threshold"] is not None else 0.05
        apply_robust([c for c in feats if c.method and c.method.startswith("robust")], alpha, opts["min_effect"])
        for c in extras:
            if c.method and c.method.startswith("robust"):
                apply_robust([c], alpha, opts["min_effect"])
    n_ref = ref_sum.n_rows if ref_sum is not None else int(ref_frame.shape[0])  # type: ignore[union-attr]
    n_cur = cur_sum.n_rows if cur_sum is not None else int(cur.shape[0])  # type: ignore[union-attr]
    return DriftReport(name=label, method=opts["method"], columns=feats, extras=extras, n_ref=n_ref,
                       n_cur=n_cur, drift_share=opts["drift_share"], window=window)


def _cur_kind(ref_kind: str | None, series: pd.Series) -> str | None:
    """Current is read with the reference's kind when its dtype allows it (a CSV may read
    a boolean as object, a datetime as text)."""
    from .summary import infer_kind

    own = infer_kind(series)
    if ref_kind is None or own == ref_kind:
        return None
    if ref_kind in ("categorical", "boolean") and own != "datetime":
        return ref_kind if own in ("categorical", "boolean") else "categorical"
    return None


def _timeline(reference: Any, current: Any, cols: list[str] | None, by: str, freq: str,
              name: str | None, opts: dict[str, Any]) -> DriftTimeline:
    if current is None:  # %drift CUR --by t : the single positional is the current frame
        current, reference = reference, None
    cur, cur_label = as_frame(current, "current")
    if by not in cur.columns:
        raise MlopsUsageError(f"time column {by!r} not in current", hint=f"columns: {', '.join(map(str, cur.columns[:20]))}")
    periods, all_periods = periods_of(local_times(cur[by], by), freq)
    opts = {**opts, "exclude": {by}}
    codes: dict[Any, int] = {p: i for i, p in enumerate(all_periods)}
    positions = pd.Series(range(len(periods)), index=cur.index)
    groups: dict[int, np.ndarray] = {codes[p]: idx.to_numpy() for p, idx in positions.groupby(periods.to_numpy(), sort=True)}
    sizes = [len(groups.get(i, ())) for i in range(len(all_periods))]
    min_rows, source = resolve_min_rows(opts["min_window_rows"], sizes)
    windows: list[DriftWindow] = []
    todo = list(range(len(all_periods)))
    ref_sum: ReferenceSummary | None
    if reference is None:  # the first window big enough is the reference
        first = next((i for i, n in enumerate(sizes) if n and n >= min_rows), None)
        if first is None:
            raise MlopsUsageError(f"no window of {by!r} has at least {min_rows} rows to serve as the reference",
                                  hint="pass a reference, a longer freq, or a smaller min_window_rows")
        ref_label = f"first window ({all_periods[first]})"
        ref_sum = _summarize(cur.iloc[groups[first]], by, ref_label)
        todo = [i for i in todo if i != first]
    elif isinstance(reference, ReferenceSummary):
        ref_sum, ref_label = reference, reference.source
    else:
        ref_frame, ref_label = as_frame(reference, "reference")
        ref_sum = _summarize(ref_frame, by, ref_label)
    label = name or f"{cur_label} by {by} ({freq}) vs {ref_label}"
    for i, p in enumerate(all_periods):
        rows = groups.get(i, np.zeros(0, dtype=np.int64))
        if i not in todo:
            windows.append(DriftWindow(str(p), len(rows), None, reason="reference window", is_reference=True))
        elif len(rows) == 0:
            windows.append(DriftWindow(str(p), 0, None, reason="no rows in this window"))
        elif len(rows) < min_rows:
            windows.append(DriftWindow(str(p), len(rows), None, reason=too_small_reason(len(rows), min_rows, source),
                                       too_small=True))
        else:
            rep = _report(None, ref_sum, cur.iloc[rows], cols, f"{label} [{p}]", str(p), opts)
            windows.append(DriftWindow(str(p), len(rows), rep))
    return DriftTimeline(name=label, by=by, freq=freq, method=opts["method"], windows=windows,
                         reference_label=ref_label, min_window_rows=min_rows)


def _summarize(frame: pd.DataFrame, by: str, label: str) -> ReferenceSummary:
    cols = [str(c) for c in frame.columns if str(c) != by]
    sums = parallel_map(lambda c: summarize_column(frame[c]), cols)
    return ReferenceSummary(int(frame.shape[0]), dict(zip(cols, sums, strict=True)), label)


__all__ = ["ALIASES", "METHODS", "ColumnSummary", "drift"]
