"""``%mlops_serve`` and ``%mlops_monitor``: thin twins of ``mj.serve`` and ``mj.monitor``.

Services started from a cell are kept in the session (``session.state["serving"]``) so
that ``%mlops_serve --stop NAME`` and ``%mlops_monitor NAME`` find them; they stop with
the kernel (``on_unload`` and at exit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..calls import Call, Ref
from ..monitoring.options import OPTIONS as MONITOR_OPTIONS
from ..monitoring.options import monitor_kwargs
from ..serving.options import OPTIONS, serve_kwargs
from ..session import session
from ._common import resolve_data, with_options


def _with_serve_options(func: Any) -> Any:
    decorators: list[Any] = []
    for flags, kw in OPTIONS:
        if flags == ("model",):
            kw = {**kw, "nargs": "?"}
        decorators.append(argument(*flags, **kw))
    decorators.append(argument("--stop", metavar="NAME", help="stop the service NAME started in this kernel"))
    for deco in reversed(decorators):
        func = deco(func)
    return magic_arguments()(func)


def _parse_serve(line: str) -> tuple[Any, Call]:
    """Parse and check ``%mlops_serve LINE`` once, into ``mj.serve`` or ``mj.stop_service``."""
    args = parse_argstring(ServingMagics.mlops_serve, line)
    if args.stop:
        return args, Call("stop_service", [args.stop])
    if not args.model:
        raise UsageError("give MODEL (models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN_ID/PATH) or --stop NAME")
    return args, Call("serve", kwargs=serve_kwargs(args))


def _parse_monitor(line: str) -> tuple[Any, Call]:
    """Parse ``%mlops_monitor LINE`` once, into ``mj.monitor`` (``--reference`` stays a reference)."""
    args = parse_argstring(ServingMagics.mlops_monitor, line)
    kw: dict[str, Any] = {"reference": Ref(args.reference)} if args.reference else {}
    return args, Call("monitor", [args.service], {**kw, **monitor_kwargs(args)})


def services() -> dict[str, Any]:
    """Services started from this kernel, by name."""
    return session.state.setdefault("serving", {})  # type: ignore[no-any-return]


@magics_class
class ServingMagics(Magics):
    """Serve a model behind the monitoring gateway and watch it (principles 6, 7)."""

    @_with_serve_options
    @line_magic
    def mlops_serve(self, line: str) -> Any:
        """Serve MODEL (and a challenger) behind the gateway; shows the service's status."""
        args, call = _parse_serve(line)
        if args.stop:
            if args.stop not in services():
                raise UsageError(f"no service {args.stop!r} was started in this kernel "
                                 f"(running here: {', '.join(services()) or 'none'})")
            status = call.run()
            services().pop(args.stop, None)
            return status
        if "export" in call.kwargs:
            return call.run()
        svc = call.run()
        services()[svc.name] = svc
        return svc

    @with_options(MONITOR_OPTIONS, argument("--live", action="store_true",
                                            help="refresh the chart on a timer (interactive kernels)"))
    @line_magic
    def mlops_monitor(self, line: str) -> Any:
        """Service health, latency, drift and quality per window of a running service."""
        args, parsed = _parse_monitor(line)
        user_ns = self.shell.user_ns if self.shell is not None else {}
        target: Any = services().get(args.service) or user_ns.get(args.service, args.service)
        if not isinstance(target, str) and not hasattr(target, "folder"):
            target = args.service
        call = parsed.resolved(lambda ref: resolve_data(self.shell, ref.text))
        call.args[0] = target  # a Service started here, or one held in a variable
        report = call.run()
        if args.live:
            from IPython.display import display

            display(report.live())
            return None
        return report


def on_unload(ip: Any) -> None:
    """Stop the services this kernel started."""
    for svc in list(services().values()):
        svc.stop(_force=True)
    services().clear()


def export_serve(line: str, cell: str | None = None) -> str:
    """Python source equivalent to ``%mlops_serve LINE``: the call the magic runs."""
    return _parse_serve(line)[1].source()


def export_monitor(line: str, cell: str | None = None) -> str:
    """Python source equivalent to ``%mlops_monitor LINE`` (``--reference`` names a global or a path)."""
    return _parse_monitor(line)[1].source()


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {
    "mlops_serve": export_serve, "mlops_monitor": export_monitor,
}
