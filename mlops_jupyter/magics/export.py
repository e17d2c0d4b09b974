"""``%mlops_export``: export the current notebook as a job (the nbconvert exporter's twin)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, parse_argstring

from ..errors import MlopsUsageError
from ..export.options import OPTIONS, export_kwargs
from ..session import session
from ._common import with_options


def current_notebook() -> Path | None:
    """The notebook this kernel runs, as told by the frontend or ``JPY_SESSION_NAME``."""
    for cand in (session.notebook_path, os.environ.get("JPY_SESSION_NAME")):
        if cand and cand.endswith(".ipynb"):
            path = Path(cand)
            if not path.is_absolute() and not path.exists():
                path = session.config().root / path
            return path
    return None


@magics_class
class ExportMagics(Magics):
    """Notebook → reproducible job (job.yaml, code, CI files, dvc stage)."""

    @with_options(OPTIONS, argument("notebook", nargs="?", help="notebook to export (default: this one; save it first)"))
    @line_magic
    def mlops_export(self, line: str) -> Any:
        """Export the notebook as a job folder; ``--rehearse`` also runs it and compares."""
        args = parse_argstring(self.mlops_export, line)
        path = Path(args.notebook) if args.notebook else current_notebook()
        if path is None:
            raise UsageError("cannot tell which notebook this kernel runs; name it: %mlops_export NOTEBOOK.ipynb")
        from ..export import export_notebook

        try:
            kw = export_kwargs(args)
        except MlopsUsageError as exc:
            raise UsageError(exc.message) from None
        res = export_notebook(path, **kw)
        if args.rehearse:
            from ..export.rehearsal import rehearse_export

            rehearse_export(res, path, strict=args.strict)
        return res


def export_mlops_export(line: str, cell: str | None) -> str:
    """In an exported script ``%mlops_export`` does nothing (the job is already exported)."""
    return "pass  # %mlops_export: this script is the exported job\n"


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"mlops_export": export_mlops_export}
