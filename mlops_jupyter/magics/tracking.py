"""``%mlops_track`` and ``%%mlops_track``: runs on MLflow from notebook cells.

Each action is a thin call of the tracking API (``mj.start_run``, ``mj.log``...); the
exporter turns the same lines into those calls through :data:`SCRIPT_EXPORTS`.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .._util import parse_pairs, parse_value
from ..errors import MlopsUsageError
from ..session import session

ACTIONS = ("start", "log", "param", "artifact", "model", "status", "end", "sync", "compare")
STATUSES = ("FINISHED", "FAILED", "KILLED")


def _pairs(items: list[str], what: str) -> dict[str, Any]:
    try:
        return parse_pairs(items, what)
    except MlopsUsageError as exc:
        raise UsageError(exc.message) from None


@magics_class
class TrackingMagics(Magics):
    """Experiment tracking (runs, metrics, params, artifacts) on MLflow."""

    @magic_arguments()
    @argument("action", nargs="?", choices=ACTIONS, help="start | log | param | artifact | model | status | end | sync | compare (cell magic: omit, the cell runs inside a new run)")
    @argument("values", nargs="*", help="log: name=value pairs (numbers become metrics, text params; {expr} and $var are expanded); param: name=value pairs, all params (hyperparameters); artifact: PATH; model: VARIABLE holding the model")
    @argument("-e", "--experiment", help="start: experiment name (default: the profile's experiment)")
    @argument("-n", "--name", help="start: run name; model: the model's name in the run (default: model)")
    @argument("--register", metavar="NAME", help="model: also register it as a new version of registered model NAME")
    @argument("--trust", nargs="+", default=[], metavar="TYPE", help="model: types skops may load (only for a model you trust; the error names them)")
    @argument("--tags", nargs="+", default=[], metavar="K=V", help="start: run tags")
    @argument("--autolog", action="store_true", help="start: switch on mlflow.autolog() for the installed frameworks")
    @argument("--description", help="start: run description")
    @argument("--step", type=int, help="log: step of the metrics (default: one counter per metric)")
    @argument("--status", type=str.upper, choices=STATUSES, default="FINISHED", help="end: final status")
    @argument("--artifact-path", help="artifact: folder inside the run's artifacts")
    @argument("--metric", help="compare: metric that decides the best run (default: the run's first metric)")
    @argument("--mode", choices=("min", "max"), help="compare: whether lower or higher is better (default from the name)")
    @line_cell_magic
    def mlops_track(self, line: str, cell: str | None = None) -> Any:
        """Track runs: start, log values, add artifacts, show status, end, sync the spool, compare."""
        args = parse_argstring(self.mlops_track, line)
        from .. import tracking

        if cell is not None:
            if args.action not in (None, "start"):
                raise UsageError("%%mlops_track takes only start options (--name, --experiment, --tags, --autolog)")
            return self._run_cell(args, cell)
        if args.action is None:
            raise UsageError(f"%mlops_track needs an action: {' | '.join(ACTIONS)} (see %mlops_track?)")
        if args.action == "start":
            mode = self._chart_mode()  # a bad setting is refused before the run starts
            handle = tracking.start_run(**_start_kwargs(args))
            return self._show_start(handle, mode)
        if args.action == "log":
            if not args.values:
                raise UsageError("%mlops_track log needs name=value pairs, e.g. %mlops_track log acc=0.91")
            tracking.log(_pairs(args.values, "value"), step=args.step)
            return None
        if args.action == "param":
            if not args.values:
                raise UsageError("%mlops_track param needs name=value pairs, e.g. %mlops_track param n_estimators=25 max_depth=2")
            tracking.log_params(_pairs(args.values, "param"))
            return None
        if args.action == "model":
            if len(args.values) != 1:
                raise UsageError("%mlops_track model takes one VARIABLE, e.g. %mlops_track model clf --register churn")
            return tracking.log_model(self._variable(args.values[0]), **_model_kwargs(args))
        if args.action == "artifact":
            if len(args.values) != 1:
                raise UsageError("%mlops_track artifact takes one PATH")
            where = tracking.log_artifact(args.values[0], artifact_path=args.artifact_path)
            print(f"stored artifact {where}")
            return None
        if args.action == "status":
            return _status_view()
        if args.action == "end":
            from ..display.tracking import RunView

            return RunView.of(tracking.end_run(status=args.status))
        if args.action == "sync":
            return tracking.sync()
        result = tracking.compare(metric=args.metric, mode=args.mode)
        if self._in_kernel():
            from IPython.display import display

            display(result)
            with contextlib.suppress(Exception):  # no plotly: the table is enough
                display(result.figure())
            return None
        return result

    # -- helpers -------------------------------------------------------------------------
    def _variable(self, name: str) -> Any:
        ns = self.shell.user_ns if self.shell is not None else {}
        if name not in ns:
            raise UsageError(f"no variable '{name}' in the notebook (give the name of the variable holding the model)")
        return ns[name]

    def _in_kernel(self) -> bool:
        return getattr(self.shell, "kernel", None) is not None

    def _chart_mode(self) -> str:
        """How the run's live chart is drawn (``off`` outside a kernel)."""
        if not self._in_kernel():
            return "off"
        from ..display.runchart import chart_mode

        return chart_mode()

    def _show_start(self, handle: Any, mode: str) -> Any:
        from ..display.tracking import RunView

        if not self._in_kernel():
            return RunView.of(handle)
        from ..display.runchart import LiveCard

        card = LiveCard(handle, widget=mode == "widget")
        card.show()
        handle.writer.listeners.append(card.on_points)
        handle.on_end.append(lambda _h: card.refresh(force=True))
        if mode == "off":
            return None
        try:
            from ..display.runchart import LiveChart

            chart = LiveChart(f"metrics of {handle.run_name}", widget=mode == "widget")
            handle.writer.listeners.append(chart.on_points)
            handle.on_end.append(lambda _h: chart.redraw(force=True))
            chart.show()
        except Exception as exc:  # plotly unavailable: the card is enough
            print(f"(live chart unavailable: {exc})")
        return None

    def _run_cell(self, args: Any, cell: str) -> Any:
        from .. import tracking

        code = self.shell.transform_cell(cell) if self.shell is not None else cell
        tree = ast.parse(code)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        assert last is None or isinstance(last, ast.Expr)
        ns = self.shell.user_ns if self.shell is not None else {}
        mode = self._chart_mode()
        with tracking.track(**_start_kwargs(args)) as handle:
            self._show_start(handle, mode) if self._in_kernel() else print(repr(handle))
            exec(compile(ast.Module(body=tree.body, type_ignores=[]), "<mlops_track cell>", "exec"), ns)
            value = eval(compile(ast.Expression(last.value), "<mlops_track cell>", "eval"), ns) if last else None
        return value


def _start_kwargs(args: Any) -> dict[str, Any]:
    return {
        "name": args.name,
        "experiment": args.experiment,
        "tags": _pairs(args.tags, "tag") if args.tags else None,
        "autolog": bool(args.autolog),
        "description": args.description,
    }


def _model_kwargs(args: Any) -> dict[str, Any]:
    return {"name": args.name or "model", "register": args.register, "trusted_types": list(args.trust) or None}


def _status_view() -> Any:
    from .. import tracking
    from ..display.tracking import RunView

    handle = tracking.active_run()
    if handle is not None:
        return RunView.of(handle)
    last = tracking.last_run()
    if last is not None:
        return RunView.of(last, note="no active run; this is the last run of the session")
    return "no run in this session - start one with %mlops_track start"


def on_load(ipython: Any) -> None:
    """Record executed cells (order, source, timing) for the runs' cell history."""
    from ..tracking.history import recorder

    session.state["tracking.user_ns"] = ipython.user_ns
    history = getattr(getattr(ipython, "history_manager", None), "input_hist_raw", None) or []
    recorder().seed([str(s) for s in history[1:]])

    def pre(info: Any) -> None:
        recorder().pre(getattr(info, "raw_cell", "") or "", getattr(info, "cell_id", None))

    def post(result: Any) -> None:
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        recorder().post(getattr(result, "execution_count", None), bool(getattr(result, "success", True)), error)

    on_unload(ipython)
    _prewarm_store()
    ipython.events.register("pre_run_cell", pre)
    ipython.events.register("post_run_cell", post)
    ipython.__dict__["_mlops_tracking_hooks"] = (pre, post)


def _prewarm_store() -> None:
    """Build the machine's store template in a background process when this project's store
    does not exist yet and there is no template (see tracking/firststart.py): never imports
    MLflow here, never writes into the project."""
    with contextlib.suppress(Exception):  # a broken config is reported by the first real use
        import os
        from pathlib import Path

        from ..config import load_config
        from ..tracking import firststart, store

        # read the config without filling the session's cache: a mlops.toml written after
        # %load_ext must still be found by the first real use
        cfg = load_config(session.start_dir or Path.cwd())
        name = session.env_override or os.environ.get("MLOPS_ENV") or cfg.default_env
        firststart.prewarm(store.sqlite_path(cfg.profile(name).tracking_uri))


def on_unload(ipython: Any) -> None:
    """Remove the history hooks and flush the active run's buffer (the run stays open)."""
    hooks = ipython.__dict__.pop("_mlops_tracking_hooks", None)
    if hooks:
        for event, fn in zip(("pre_run_cell", "post_run_cell"), hooks, strict=True):
            with contextlib.suppress(ValueError):
                ipython.events.unregister(event, fn)
    run = session.run
    if run is not None and hasattr(run, "flush"):
        run.flush(timeout=30)


# -- export to scripts -----------------------------------------------------------------
_EXPR = re.compile(r"^\{(.+)\}$", re.S)
_VAR = re.compile(r"^\$([A-Za-z_]\w*)$")


def _value_code(text: str) -> str:
    m = _EXPR.match(text.strip())
    if m:
        return f"({m.group(1).strip()})"
    m = _VAR.match(text.strip())
    if m:
        return m.group(1)
    return repr(parse_value(text))


def _kwargs_code(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{k}={v}" for k, v in pairs)


def _start_code(args: Any, func: str) -> str:
    pairs: list[tuple[str, str]] = []
    for key in ("name", "experiment", "description"):
        if getattr(args, key):
            pairs.append((key, repr(getattr(args, key))))
    if args.tags:
        tags = {}
        for item in args.tags:
            k, sep, v = item.partition("=")
            if not sep:
                raise UsageError(f"tag '{item}' is not of the form name=value")
            tags[k.strip()] = _value_code(v)
        pairs.append(("tags", "{" + ", ".join(f"{k!r}: {v}" for k, v in tags.items()) + "}"))
    if args.autolog:
        pairs.append(("autolog", "True"))
    return f"{func}({_kwargs_code(pairs)})"


def _pair_items(values: list[str]) -> list[str]:
    items = []
    for item in values:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise UsageError(f"value '{item}' is not of the form name=value")
        items.append(f"{k.strip()!r}: {_value_code(v)}")
    return items


def export_mlops_track(line: str, cell: str | None) -> str:
    """Python source doing what ``%mlops_track LINE`` (or the cell magic) does, with ``mj``."""
    args = TrackingMagics.mlops_track.parser.parse_argstring(line)
    if cell is not None:
        body = cell if cell.strip() else "pass"
        indented = "\n".join(("    " + ln) if ln.strip() else ln for ln in body.splitlines())
        return f"with {_start_code(args, 'mj.track')}:\n{indented}\n"
    action = args.action
    if action == "start":
        return _start_code(args, "mj.start_run") + "\n"
    if action == "log":
        items = _pair_items(args.values)
        step = f", step={args.step}" if args.step is not None else ""
        return f"mj.log({{{', '.join(items)}}}{step})\n"
    if action == "param":
        return f"mj.log_params({{{', '.join(_pair_items(args.values))}}})\n"
    if action == "model":
        if len(args.values) != 1:
            raise UsageError("%mlops_track model takes one VARIABLE")
        kw = _model_kwargs(args)
        extra = "".join(f", {k}={v!r}" for k, v in kw.items() if v is not None)
        return f"mj.log_model({_value_code('$' + args.values[0].lstrip('$'))}{extra})\n"
    if action == "artifact":
        if len(args.values) != 1:
            raise UsageError("%mlops_track artifact takes one PATH")
        ap = f", artifact_path={args.artifact_path!r}" if args.artifact_path else ""
        return f"mj.log_artifact({_value_code(args.values[0]) if args.values[0].startswith(('{', '$')) else repr(args.values[0])}{ap})\n"
    if action == "status":
        return "print(mj.active_run())\n"
    if action == "end":
        return f"mj.end_run(status={args.status!r})\n"
    if action == "sync":
        return "print(mj.sync())\n"
    if action == "compare":
        pairs = [(k, repr(getattr(args, k))) for k in ("metric", "mode") if getattr(args, k)]
        return f"print(mj.compare({_kwargs_code(pairs)}))\n"
    raise UsageError(f"%mlops_track needs an action: {' | '.join(ACTIONS)}")


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"mlops_track": export_mlops_track}
