"""``%mlops_export``: export the current notebook as a job (the nbconvert exporter's twin)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..session import session


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

    @magic_arguments()
    @argument("notebook", nargs="?", help="notebook to export (default: this one; save it first)")
    @argument("--target", choices=["github", "gitlab", "generic"], default=None, help="CI files to write")
    @argument("--mode", choices=["notebook", "script"], default=None,
              help="notebook: papermill runs it; script: plain Python with magics as API calls")
    @argument("--out", default=None, metavar="DIR", help="job folder (default jobs/<name>/ in the project)")
    @argument("--schedule", default=None, metavar="CRON", help="cron schedule for continuous training")
    @argument("--rehearse", action="store_true", help="run the job in a fresh kernel and compare with this run")
    @argument("--strict", action="store_true", help="with --rehearse: a mismatch is an error")
    @line_magic
    def mlops_export(self, line: str) -> Any:
        """Export the notebook as a job folder; ``--rehearse`` also runs it and compares."""
        args = parse_argstring(self.mlops_export, line)
        path = Path(args.notebook) if args.notebook else current_notebook()
        if path is None:
            raise UsageError("cannot tell which notebook this kernel runs; name it: %mlops_export NOTEBOOK.ipynb")
        from ..export import export_notebook

        res = export_notebook(path, target=args.target, mode=args.mode, out=args.out, schedule=args.schedule)
        if args.rehearse:
            from ..export.rehearse import rehearse_export

            rehearse_export(res, path, strict=args.strict)
        return res


def export_mlops_export(line: str, cell: str | None) -> str:
    """In an exported script ``%mlops_export`` does nothing (the job is already exported)."""
    return "pass  # %mlops_export: this script is the exported job\n"


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {"mlops_export": export_mlops_export}
