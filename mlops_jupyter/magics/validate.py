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
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._common import resolve_data

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_args(args: Any, cell: str | None) -> None:
    body = (cell or "").strip()
    if args.metrics:
        if args.suite or args.infer or args.save:
            raise UsageError("--metrics checks the active run's metrics: no --suite, --save or --infer")
        if not body:
            raise UsageError("write metric rules in the cell, e.g. accuracy >= champion.accuracy - 0.01")
        return
    if not args.target:
        raise UsageError("give the data to check: %%validate DF (a variable, or a CSV/Parquet path)")
    if args.infer:
        if body or args.suite or args.save:
            raise UsageError("--infer NAME proposes a suite from the data; use it alone")
        return
    if not body and not args.suite:
        raise UsageError("nothing to check: write rules in the cell or give --suite NAME")
    if args.save and not body:
        raise UsageError("--save NAME saves the rules written in the cell")
    if args.sample is not None and args.sample < 0:
        raise UsageError("--sample must be 0 or more")


@magics_class
class ValidateMagics(Magics):
    """Data quality rules, saved suites, inferred suites and model-quality checks."""

    @magic_arguments()
    @argument("target", nargs="?", help="DataFrame variable, or a CSV/Parquet path")
    @argument("--suite", metavar="NAME", help="also run the saved suite NAME (mlops/suites/NAME.yaml)")
    @argument("--save", metavar="NAME", help="save the cell's rules as suite NAME")
    @argument("--infer", metavar="NAME", help="propose a suite from TARGET and save it as NAME")
    @argument("--warn-only", action="store_true", help="show failures without raising ValidationFailed")
    @argument("--engine", choices=["pandas", "duckdb", "spark"],
              help="where the rules run (default: from TARGET; a folder or glob runs on DuckDB)")
    @argument("--sample", type=int, metavar="N", help="failing values kept per rule (default 5)")
    @argument("--metrics", action="store_true", help="check the cell's rules over the active run's metrics")
    @argument("--model", metavar="NAME", help="registered model whose 'champion' alias --metrics compares with")
    @line_cell_magic
    def validate(self, line: str, cell: str | None = None) -> Any:
        """Check data (or the active run's metrics) against rules; stop the notebook on failure.

        %%validate df [--save NAME] [--warn-only]   rules in the cell, one per line
        %validate df --suite NAME                   run a saved suite
        %validate df --infer NAME                   propose a suite from good data, save it
        %%validate --metrics [--model NAME]          e.g. accuracy >= champion.accuracy - 0.01
        """
        args = parse_argstring(self.validate, line)
        _check_args(args, cell)
        import mlops_jupyter as mj
        from mlops_jupyter.errors import ValidationFailed

        if args.infer:
            suite = mj.infer_suite(self._data(args.target), name=args.infer, engine=args.engine)
            path = mj.save_suite(suite, args.infer)
            print(f"saved suite '{args.infer}' ({len(suite.rules)} rules) to {path}")
            return suite
        try:
            if args.metrics:
                return mj.check_metrics(cell or "", model=args.model, warn_only=args.warn_only)
            return mj.validate(self._data(args.target), rules=(cell if (cell or "").strip() else None),
                               suite=args.suite, warn_only=args.warn_only, sample=args.sample,
                               save=args.save, name=args.save or args.suite or args.target,
                               engine=args.engine)
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
    args = parse_argstring(ValidateMagics.validate, line)
    _check_args(args, cell)
    target = None
    if args.target:
        t = args.target.strip()
        if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
            t = t[1:-1]
        target = t if _IDENT.match(t) else repr(t)
    body = cell if (cell or "").strip() else None
    if args.infer:
        engine = f", engine={args.engine!r}" if args.engine else ""
        return (f"_mj_suite = mj.infer_suite({target}, name={args.infer!r}{engine})\n"
                f"mj.save_suite(_mj_suite, {args.infer!r})\n"
                f"print(_mj_suite)\n")
    if args.metrics:
        call = (f"mj.check_metrics({body!r}, model={args.model!r}, warn_only={args.warn_only!r})")
    else:
        name = args.save or args.suite or args.target
        call = (f"mj.validate({target}, rules={body!r}, suite={args.suite!r}, "
                f"warn_only={args.warn_only!r}, sample={args.sample!r}, save={args.save!r}, "
                f"name={name!r}" + (f", engine={args.engine!r})" if args.engine else ")"))
    return ("try:\n"
            f"    print({call})\n"
            "except mj.errors.ValidationFailed as _mj_failed:\n"
            "    print(_mj_failed.report)\n"
            "    raise\n")


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"validate": export_validate}
