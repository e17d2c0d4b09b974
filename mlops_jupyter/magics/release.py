"""``%mlops_promote``: the release gate, a thin twin of ``mj.promote``.

``%mlops_promote MODEL --candidate RUN_ID --eval VAR --target COL [--min accuracy=0.9]
[--min-delta accuracy=0] [--ab --rule non-inferiority --delta 0.01] [--suite NAME]
[--current VAR] [--dry-run] [--fail] [--compare]`` shows the decision in place. A refusal
is displayed, not raised (the notebook goes on), unless ``--fail`` is given.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..errors import MlopsUsageError
from ..release.options import add_options, promote_kwargs
from ._common import resolve_data


def _with_promote_options(func: Any) -> Any:
    decorators: list[Any] = []
    add_options(lambda *flags, **kw: decorators.append(argument(*flags, **kw)))
    decorators.append(argument("--fail", action="store_true", help="raise GateFailed when a gate refuses"))
    decorators.append(argument("--compare", action="store_true",
                               help="also show the challenger-vs-champion comparison view"))
    for deco in reversed(decorators):  # applied bottom-up: keep the table's order in the help
        func = deco(func)
    return magic_arguments()(func)


def _is_name(text: str) -> bool:
    return text.isidentifier() and not keyword.iskeyword(text)


def _parse(line: str) -> tuple[Any, dict[str, Any], dict[str, str]]:
    args = parse_argstring(ReleaseMagics.mlops_promote, line)
    try:
        kw, refs = promote_kwargs(args)
    except MlopsUsageError as exc:
        raise UsageError(exc.message) from None
    if args.fail:
        kw["raise_on_fail"] = True
    return args, kw, refs


@magics_class
class ReleaseMagics(Magics):
    """Release gates: promote a model to a registry alias (principle 6)."""

    @_with_promote_options
    @line_magic
    def mlops_promote(self, line: str) -> Any:
        """Promote a candidate model to a registry alias only if every configured gate passes."""
        import mlops_jupyter as mj

        args, kw, refs = _parse(line)
        for key, ref in refs.items():
            kw[key] = self._resolve(ref)
        decision = mj.promote(**kw)
        if args.compare:
            from IPython.display import display

            display(decision)
            return mj.compare_models(kw["model"], decision.candidate["uri"] if decision.candidate.get("version")
                                     else kw["candidate"], eval_data=kw.get("eval_data"),
                                     target=kw.get("target"), model_path=kw.get("model_path"))
        return decision

    def _resolve(self, ref: str) -> Any:
        return resolve_data(self.shell, ref)


def export_promote(line: str, cell: str | None = None) -> str:
    """Python source equivalent to ``%mlops_promote LINE`` (``mj`` in scope; names are globals)."""
    _, kw, refs = _parse(line)
    parts = [repr(kw.pop("model")), repr(kw.pop("candidate"))]
    parts += [f"{k}={v if _is_name(v) else repr(v)}" for k, v in refs.items()]
    parts += [f"{k}={v!r}" for k, v in kw.items()]
    return f"mj.promote({', '.join(parts)})"


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"mlops_promote": export_promote}
