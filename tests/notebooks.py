"""Build and execute real notebooks with nbclient in a real ipykernel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def make_notebook(cells: list[str | tuple[str, list[str]]], path: Path | None = None) -> Any:
    """A notebook of code cells; a ``(source, tags)`` tuple gives a cell tags."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in cells:
        source, tags = (cell, []) if isinstance(cell, str) else cell
        c = nbformat.v4.new_code_cell(source)
        if tags:
            c.metadata["tags"] = list(tags)
        nb.cells.append(c)
    if path is not None:
        nbformat.write(nb, path)
    return nb


def execute(nb: Any, cwd: Path, timeout: int = 300, allow_errors: bool = False) -> Any:
    """Execute ``nb`` in a fresh python3 kernel with ``cwd``; raises CellExecutionError."""
    for attempt in range(3):
        client = NotebookClient(
            nb, kernel_name="python3", timeout=timeout, allow_errors=allow_errors,
            resources={"metadata": {"path": str(cwd)}},
        )
        try:
            client.execute()
            return nb
        except RuntimeError as exc:
            # a free TCP port taken by another process before the kernel bound it: the
            # kernel died before running anything, so starting again is safe
            if "Kernel died before replying to kernel_info" not in str(exc) or attempt == 2:
                raise
    return nb


__all__ = ["CellExecutionError", "execute", "make_notebook"]
