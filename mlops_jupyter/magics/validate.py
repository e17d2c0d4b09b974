"""``%validate`` / ``%%validate``: data and model quality checks in a cell.

Thin surface over :func:`mlops_jupyter.validate`, :func:`~mlops_jupyter.infer_suite` and
:func:`~mlops_jupyter.check_metrics`: the line is parsed and checked once into one of those
calls (options shared with the CLI: :mod:`mlops_jupyter.validation.options`), which the
magic runs and :data:`SCRIPT_EXPORTS` renders for exported jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, parse_argstring

from ..calls import Call, Ref
from ..errors import MlopsUsageError
from ..validation.options import OPTIONS, check_options, validate_call
from ._common import resolve_data, with_options


def _parse(line: str, cell: str | None) -> tuple[Any, Call]:
    """Parse and check the magic line (and cell) once, into the API call it means."""
    args = parse_argstring(ValidateMagics.validate, line)
    try:
        check_options(args, cell)
        func, kw = validate_call(args, cell)
    except MlopsUsageError as exc:
        raise UsageError(exc.message) from None
    if func == "check_metrics":
        return args, Call(func, [kw.pop("rules")], kw)
    if kw.get("engine") is None:
        kw.pop("engine")
    return args, Call(func, [Ref(args.target)], kw)


@magics_class
class ValidateMagics(Magics):
    """Data quality rules, saved suites, inferred suites and model-quality checks."""

    @with_options(OPTIONS, argument("target", nargs="?", help="DataFrame variable, or a CSV/Parquet path"))
    @line_cell_magic
    def validate(self, line: str, cell: str | None = None) -> Any:
        """Check data (or the active run's metrics) against rules; stop the notebook on failure.

        %%validate df [--save NAME] [--warn-only]   rules in the cell, one per line
        %validate df --suite NAME                   run a saved suite
        %validate df --infer NAME                   propose a suite from good data, save it
        %%validate --metrics [--model NAME]          e.g. accuracy >= champion.accuracy - 0.01
        """
        args, call = _parse(line, cell)
        import mlops_jupyter as mj
        from mlops_jupyter.errors import ValidationFailed

        if call.func == "infer_suite":
            suite = call.run(self._data)
            path = mj.save_suite(suite, args.infer)
            print(f"saved suite '{args.infer}' ({len(suite.rules)} rules) to {path}")
            return suite
        try:
            return call.run(self._data)
        except ValidationFailed as exc:
            if exc.report is not None:
                from IPython.display import display

                display(exc.report)
            raise

    def _data(self, target: Ref) -> Any:
        return resolve_data(self.shell, target.text)


# -- export to scripts ------------------------------------------------------------
def export_validate(line: str, cell: str | None) -> str:
    """Python source with the same behaviour as ``%validate LINE`` / ``%%validate LINE`` + cell.

    ``mj`` (``import mlops_jupyter as mj``) is in scope; the target is a script global (or
    a path literal); the cell body becomes a rules string literal.
    """
    args, call = _parse(line, cell)
    if call.func == "infer_suite":
        return (f"_mj_suite = {call.source()}\n"
                f"mj.save_suite(_mj_suite, {args.infer!r})\n"
                f"print(_mj_suite)\n")
    call_src = call.source()
    return ("try:\n"
            f"    print({call_src})\n"
            "except mj.errors.ValidationFailed as _mj_failed:\n"
            "    print(_mj_failed.report)\n"
            "    raise\n")


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"validate": export_validate}
