"""``%drift``: data and prediction drift, a thin twin of ``mj.drift``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, parse_argstring

from ..calls import Call, Ref
from ..drift_detection.options import OPTIONS, drift_call
from ..errors import MlopsUsageError
from ._common import resolve_data, with_options


def _parse(line: str) -> tuple[Any, Call]:
    """Parse and check the magic line once, into the ``mj.drift`` call it means."""
    args = parse_argstring(DriftMagics.drift, line)
    try:
        data, kw = drift_call(args)
    except MlopsUsageError as exc:
        raise UsageError(exc.message) from None
    if len(data) == 2:
        kw.setdefault("name", f"{data[0]} vs {data[1]}")
    return args, Call("drift", [Ref(d) for d in data], kw)


@magics_class
class DriftMagics(Magics):
    """Drift of a current dataset against a reference (principle 7: monitor data)."""

    @with_options(OPTIONS, argument("--chart", action="store_true",
                                    help="also show the scores chart and a per-column selector"))
    @line_magic
    def drift(self, line: str) -> Any:
        """Per-column drift with the right test per column, and the dataset verdict."""

        args, call = _parse(line)
        result = call.run(lambda ref: self._resolve(ref.text))
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
    """Python source equivalent to ``%drift LINE`` (``mj`` in scope; names are globals):
    the call the magic runs, rendered."""
    return _parse(line)[1].source()


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"drift": export_drift}
