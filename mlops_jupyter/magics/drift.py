"""``%drift``: data and prediction drift, a thin twin of ``mj.drift``."""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._common import resolve_data


def _is_name(text: str) -> bool:
    return text.isidentifier() and not keyword.iskeyword(text)


def _options(args: Any) -> tuple[list[str], dict[str, Any]]:
    """Positional data references and the keyword arguments of ``mj.drift``."""
    data = list(args.data)
    if args.reference is not None:
        if len(data) != 1:
            raise UsageError("with --reference give exactly one CURRENT")
        data = [args.reference, data[0]]
    elif len(data) == 1 and args.by is None:
        raise UsageError("give REFERENCE and CURRENT (or CURRENT --by COL for windows over time)")
    if len(data) > 2:
        raise UsageError(f"too many data arguments: {' '.join(data)}")
    if args.freq is not None and args.by is None:
        raise UsageError("--freq needs --by COLUMN")
    if args.min_window_rows is not None and args.by is None:
        raise UsageError("--min-window-rows needs --by COLUMN")
    if args.min_window_rows is not None and args.min_window_rows < 0:
        raise UsageError(f"--min-window-rows must be >= 0, got {args.min_window_rows}")
    kw: dict[str, Any] = {}
    if args.columns:
        kw["columns"] = list(args.columns)
    if args.method != "auto":
        kw["method"] = args.method
    if args.threshold is not None:
        kw["threshold"] = args.threshold
    for key in ("by", "freq", "min_window_rows", "prediction", "target", "engine"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    if args.per_column:
        kw["per_column"] = _per_column(args.per_column)
    if args.fail:
        kw["fail"] = True
    if args.on_drift:
        actions = [" ".join(a) for a in args.on_drift]
        kw["on_drift"] = actions[0] if len(actions) == 1 else actions
    return data, kw


def _per_column(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        col, sep, spec = item.partition("=")
        if not sep or not col or not spec:
            raise UsageError(f"--per-column wants COL=METHOD[:THRESHOLD], got {item!r}")
        method, _, thr = spec.partition(":")
        try:
            out[col] = (method, float(thr)) if thr else method
        except ValueError:
            raise UsageError(f"threshold in {item!r} is not a number") from None
    return out


@magics_class
class DriftMagics(Magics):
    """Drift of a current dataset against a reference (principle 7: monitor data)."""

    @magic_arguments()
    @argument("data", nargs="+", metavar="DATA",
              help="REFERENCE CURRENT (variable names or CSV/Parquet paths); or CURRENT with --reference/--by")
    @argument("--columns", nargs="+", metavar="COL", help="columns to compare (default: all shared)")
    @argument("--method", default="auto",
              help="auto (Evidently's choice) | robust | ks | chisquare | z | psi | wasserstein | "
                   "jensenshannon | kl_div | hellinger | tvd | anderson | cramer_von_mises | "
                   "mannwhitney | t_test | energy | fisher | chisquare_evidently (Evidently's one-sample "
                   "chi-square, for comparisons only)")
    @argument("--threshold", type=float, help="p-value or distance threshold of the method")
    @argument("--per-column", dest="per_column", nargs="+", metavar="COL=METHOD[:T]",
              help="override the method (and threshold) of single columns, e.g. age=psi:0.2")
    @argument("--by", metavar="COL", help="time column of CURRENT: one report per window")
    @argument("--freq", metavar="F", help="window length for --by: D, W or M (default D)")
    @argument("--min-window-rows", dest="min_window_rows", type=int, metavar="N",
              help="windows with fewer rows are marked 'too small' and not tested "
                   "(default: [drift] min_window_rows, else a tenth of the median window)")
    @argument("--reference", metavar="REF", help="reference data (when CURRENT is the only positional)")
    @argument("--prediction", metavar="COL", help="prediction column, reported apart")
    @argument("--target", metavar="COL", help="target column, reported apart")
    @argument("--fail", action="store_true", help="raise DriftDetected when drift is found")
    @argument("--on-drift", dest="on_drift", nargs="+", action="append", metavar="ACTION",
              help="raise | tag | webhook URL | run JOB_DIR (repeatable)")
    @argument("--engine", choices=["pandas", "duckdb"],
              help="where the summaries are computed (default: from the data; a folder or glob runs on DuckDB)")
    @argument("--chart", action="store_true", help="also show the scores chart and a per-column selector")
    @line_magic
    def drift(self, line: str) -> Any:
        """Per-column drift with the right test per column, and the dataset verdict."""
        import mlops_jupyter as mj

        args = parse_argstring(self.drift, line)
        data, kw = _options(args)
        values = [self._resolve(d) for d in data]
        if len(values) == 2:
            kw.setdefault("name", f"{data[0]} vs {data[1]}")
        result = mj.drift(*values, **kw)
        if args.chart:
            self._show_chart(result)
        return result

    @staticmethod
    def _show_chart(result: Any) -> None:
        """The scores chart with a column selector (a widget), or plain figures of the scores
        and of the most drifted column where widgets are not wanted (headless runs and
        ``live_chart = "static"``: a saved widget state would embed plotly.js)."""
        from IPython.display import display

        from ..display.runchart import chart_mode

        if not hasattr(result, "widget"):  # a timeline: one figure
            display(result.figure())
        elif chart_mode() == "widget":
            display(result.widget())
        else:
            display(result.figure())
            shown = result.drifted_columns[:1] or [c.column for c in result.columns if c.hist][:1]
            for column in shown:
                display(result.distribution_figure(column))

    def _resolve(self, ref: str) -> Any:
        return resolve_data(self.shell, ref)


def export_drift(line: str, cell: str | None = None) -> str:
    """Python source equivalent to ``%drift LINE`` (``mj`` in scope; names are globals)."""
    try:
        args = parse_argstring(DriftMagics.drift, line)
    except UsageError:
        raise
    data, kw = _options(args)
    parts = [d if _is_name(d) else repr(d) for d in data]
    if len(data) == 2:
        kw.setdefault("name", f"{data[0]} vs {data[1]}")
    parts += [f"{k}={v!r}" for k, v in kw.items()]
    return f"mj.drift({', '.join(parts)})"


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"drift": export_drift}
