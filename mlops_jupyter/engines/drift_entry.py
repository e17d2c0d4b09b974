"""``mj.drift`` on an engine: both sides summarised in the engine, the tests on the summaries.

The comparison itself (test choice, verdicts, robust's corrections) is the pandas path's
:func:`mlops_jupyter.drift_detection.api._report`, fed with engine summaries instead of frames.
"""

from __future__ import annotations

from typing import Any

from ..drift_detection.api import _report
from ..drift_detection.report import DriftReport, DriftTimeline, DriftWindow
from ..drift_detection.summary import ReferenceSummary
from ..drift_detection.windows import resolve_min_rows, too_small_reason
from ..errors import MlopsUsageError
from .source import is_spark_frame, open_source
from .sqldrift import sketch_note, summarize_source, window_sizes, window_source


def _wanted(cols: list[str] | None, opts: dict[str, Any], exclude: str | None = None) -> list[str] | None:
    if cols is None:
        return None
    extra = [c for c in (opts["prediction"], opts["target"]) if c is not None]
    return [c for c in dict.fromkeys([*cols, *extra]) if c != exclude]


def _side(data: Any, role: str, cols: list[str] | None, exclude: str | None = None) -> ReferenceSummary:
    if isinstance(data, ReferenceSummary):
        return data
    if is_spark_frame(data):
        from .spark import SparkSource

        spark_src = SparkSource(data, f"{role} (Spark DataFrame)")
        try:
            names = cols if cols is not None else [c for c in spark_src.columns() if c != exclude]
            return summarize_source(spark_src, names)
        finally:
            spark_src.close()
    src = open_source(data, role)
    names = cols if cols is not None else [c for c in src.columns() if c != exclude]
    return summarize_source(src, names)


def _annotate(rep: DriftReport, ref: ReferenceSummary, cur: ReferenceSummary) -> DriftReport:
    for col in [*rep.columns, *rep.extras]:
        notes = []
        for side, summ in (("reference", ref), ("current", cur)):
            s = summ.columns.get(col.column)
            note = sketch_note(s) if s is not None else None
            if note:
                notes.append(f"{side}: {note}")
        if notes:
            col.why = f"{col.why}; {'; '.join(notes)}"
    return rep


def drift_in_engine(engine: str, reference: Any, current: Any, cols: list[str] | None, by: str | None,
                    freq: str | None, name: str | None, opts: dict[str, Any]) -> DriftReport | DriftTimeline:
    if engine not in ("duckdb", "spark"):
        raise MlopsUsageError(f"no drift engine {engine!r}", hint="pandas, duckdb or spark")
    if by is not None:
        return _timeline(reference, current, cols, by, freq or "D", name, opts)
    ref = _side(reference, "reference", _wanted(cols, opts))
    cur = _side(current, "current", _wanted(cols, opts))
    label = name or f"{ref.source} vs {cur.source}"
    return _annotate(_report(None, ref, cur, cols, label, None, opts), ref, cur)


def _timeline(reference: Any, current: Any, cols: list[str] | None, by: str, freq: str, name: str | None,
              opts: dict[str, Any]) -> DriftTimeline:
    if current is None:
        current, reference = reference, None
    if is_spark_frame(current):
        from .spark import SparkSource

        spark_src = SparkSource(current, "current (Spark DataFrame)")
        try:
            return _windows(spark_src, reference, cols, by, freq, name, opts)
        finally:
            spark_src.close()
    return _windows(open_source(current, "current"), reference, cols, by, freq, name, opts)


def _windows(src: Any, reference: Any, cols: list[str] | None, by: str, freq: str, name: str | None,
             opts: dict[str, Any]) -> DriftTimeline:
    """Rows per window counted in the engine; each tested window summarised in the engine."""
    all_periods, counted = window_sizes(src, by, freq)
    sizes = [counted.get(p, 0) for p in all_periods]
    min_rows, source = resolve_min_rows(opts["min_window_rows"], sizes)
    opts = {**opts, "exclude": {by}}
    names = _wanted(cols, opts, exclude=by) or [c for c in src.columns() if c != by]
    todo = list(range(len(all_periods)))
    if reference is None:
        first = next((i for i, n in enumerate(sizes) if n and n >= min_rows), None)
        if first is None:
            raise MlopsUsageError(f"no window of {by!r} has at least {min_rows} rows to serve as the reference",
                                  hint="pass a reference, a longer freq, or a smaller min_window_rows")
        ref_label = f"first window ({all_periods[first]})"
        ref = _summarize_window(src, by, all_periods[first], names, ref_label)
        todo = [i for i in todo if i != first]
    else:
        ref = _side(reference, "reference", None if cols is None else names, exclude=by)
        ref_label = ref.source
    label = name or f"{src.label} by {by} ({freq}) vs {ref_label}"
    windows: list[DriftWindow] = []
    for i, p in enumerate(all_periods):
        n = sizes[i]
        if i not in todo:
            windows.append(DriftWindow(str(p), n, None, reason="reference window", is_reference=True))
        elif n == 0:
            windows.append(DriftWindow(str(p), 0, None, reason="no rows in this window"))
        elif n < min_rows:
            windows.append(DriftWindow(str(p), n, None, reason=too_small_reason(n, min_rows, source), too_small=True))
        else:
            cur = _summarize_window(src, by, p, names)
            rep = _annotate(_report(None, ref, cur, cols, f"{label} [{p}]", str(p), opts), ref, cur)
            windows.append(DriftWindow(str(p), n, rep))
    return DriftTimeline(name=label, by=by, freq=freq, method=opts["method"], windows=windows,
                         reference_label=ref_label, min_window_rows=min_rows)


def _summarize_window(src: Any, by: str, period: Any, names: list[str], label: str | None = None) -> ReferenceSummary:
    part = window_source(src, by, period)
    try:
        return summarize_source(part, names, label)
    finally:
        if hasattr(part, "close"):
            part.close()
