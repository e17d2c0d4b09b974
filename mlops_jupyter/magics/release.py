"""``%mlops_promote``: the release gate, a thin twin of ``mj.promote``.

``%mlops_promote MODEL --candidate RUN_ID --eval VAR --target COL [--min accuracy=0.9]
[--min-delta accuracy=0] [--ab --rule non-inferiority --delta 0.01] [--suite NAME]
[--current VAR] [--dry-run] [--fail] [--compare]`` shows the decision in place. A refusal
is displayed, not raised (the notebook goes on), unless ``--fail`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, parse_argstring

from ..calls import Call, Ref
from ..errors import MlopsUsageError
from ..release.options import OPTIONS, promote_kwargs
from ._common import resolve_data, with_options


def _parse(line: str) -> tuple[Any, Call]:
    """Parse and check the magic line once, into the ``mj.promote`` call it means."""
    args = parse_argstring(ReleaseMagics.mlops_promote, line)
    try:
        kw, refs = promote_kwargs(args)
    except MlopsUsageError as exc:
        raise UsageError(exc.message) from None
    if args.fail:
        kw["raise_on_fail"] = True
    head = [kw.pop("model"), kw.pop("candidate")]
    return args, Call("promote", head, {**{k: Ref(v) for k, v in refs.items()}, **kw})


@magics_class
class ReleaseMagics(Magics):
    """Release gates: promote a model to a registry alias (principle 6)."""

    @with_options(OPTIONS,
                  argument("--fail", action="store_true", help="raise GateFailed when a gate refuses"),
                  argument("--compare", action="store_true",
                           help="also show the challenger-vs-champion comparison view"))
    @line_magic
    def mlops_promote(self, line: str) -> Any:
        """Promote a candidate model to a registry alias only if every configured gate passes."""
        import mlops_jupyter as mj

        args, parsed = _parse(line)
        call = parsed.resolved(lambda ref: self._resolve(ref.text))
        decision = call.run()
        if args.compare:
            from IPython.display import display

            display(decision)
            model, candidate = call.args
            kw = call.kwargs
            return mj.compare_models(model, decision.candidate["uri"] if decision.candidate.get("version")
                                     else candidate, eval_data=kw.get("eval_data"),
                                     target=kw.get("target"), model_path=kw.get("model_path"))
        return decision

    def _resolve(self, ref: str) -> Any:
        return resolve_data(self.shell, ref)


def export_promote(line: str, cell: str | None = None) -> str:
    """Python source equivalent to ``%mlops_promote LINE`` (``mj`` in scope; names are
    globals): the call the magic runs, rendered."""
    return _parse(line)[1].source()


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"mlops_promote": export_promote}
