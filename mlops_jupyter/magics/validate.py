"""``%validate`` / ``%%validate``: data and model quality checks in a cell.

Thin surface over :func:`mlops_jupyter.validate`, :func:`~mlops_jupyter.infer_suite` and
:func:`~mlops_jupyter.check_metrics`; the exporter turns the magic into the same calls
through :data:`SCRIPT_EXPORTS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, parse_argstring

from ..errors import MlopsUsageError
from ..validation.options import OPTIONS, check_options, validate_call
from ._common import resolve_data, with_options

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _parse(line: str, cell: str | None) -> tuple[Any, str, dict[str, Any]]:
    """Parse and check the magic line once: ``(args, API function name, keyword arguments)``."""
    args = parse_argstring(ValidateMagics.validate, line)
    try:
        check_options(args, cell)
        func, kw = validate_call(args, cell)
    except MlopsUsageError as exc:
        raise UsageError(exc.message) from None
    return args, func, kw


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
        args, func, kw = _parse(line, cell)
        import mlops_jupyter as mj
        from mlops_jupyter.errors import ValidationFailed

        if func == "infer_suite":
            suite = mj.infer_suite(self._data(args.target), **kw)
            path = mj.save_suite(suite, args.infer)
            print(f"saved suite '{args.infer}' ({len(suite.rules)} rules) to {path}")
            return suite
        try:
            if func == "check_metrics":
                return mj.check_metrics(**kw)
            return mj.validate(self._data(args.target), **kw)
        except ValidationFailed as exc:
            if exc.report is not None:
                from IPython.display import display

                display(exc.report)
            raise

    def _data(self, target: str) -> Any:
        return resolve_data(self.shell, target)


# -- export to scripts ------------------------------------------------------------
def export_validate(line: str, cell: str | None) -> str:
    """Python source with the same behaviour as ``%validate LINE`` / ``%%validate LINE`` + cell.

    ``mj`` (``import mlops_jupyter as mj``) is in scope; the target is a script global (or
    a path literal); the cell body becomes a rules string literal.
    """
    args, func, kw = _parse(line, cell)
    target = None
    if args.target:
        t = args.target.strip()
        if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
            t = t[1:-1]
        target = t if _IDENT.match(t) else repr(t)
    if func == "infer_suite":
        engine = f", engine={args.engine!r}" if args.engine else ""
        return (f"_mj_suite = mj.infer_suite({target}, name={args.infer!r}{engine})\n"
                f"mj.save_suite(_mj_suite, {args.infer!r})\n"
                f"print(_mj_suite)\n")
    if func == "check_metrics":
        call = (f"mj.check_metrics({kw['rules'] or None!r}, model={args.model!r}, warn_only={args.warn_only!r})")
    else:
        if not args.engine:
            kw.pop("engine")
        call = f"mj.validate({target}, " + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")"
    return ("try:\n"
            f"    print({call})\n"
            "except mj.errors.ValidationFailed as _mj_failed:\n"
            "    print(_mj_failed.report)\n"
            "    raise\n")


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"validate": export_validate}
