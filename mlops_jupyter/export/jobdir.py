"""The job folder on disk: export never writes into a folder that is not its own, and
replaces its own folder in one step.

An export goes to a folder that does not exist yet, an empty folder, or a job folder that
an earlier export of the *same notebook* wrote (its ``job.yaml`` names the notebook).
Anything else (a file, the project folder, a folder that holds the notebook, any other
non-empty folder) is refused with :class:`~mlops_jupyter.errors.ExportConflict` (HTTP 409)
before anything is written.

The new folder is built in a hidden sibling (``.<name>.export-…``) and then put in place:
renamed for a new folder, exchanged atomically with an earlier job folder (Linux
``renameat2``), file by file without replacing anything for an empty folder. Files of the
earlier folder that export did not write (``out/`` of past runs, ``dvc.lock``, a README)
are carried over; a failed export leaves the earlier folder exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import ExportConflict, ExportError

NEW, EMPTY, PREVIOUS = "new", "empty", "previous"
# a folder holding any of these is a project (or repository), never a job folder
PROJECT_MARKERS = (".git", ".dvc", "mlops.toml", "pyproject.toml", "setup.py")
HINT = "choose a new or empty folder for the job (or leave out 'out' for jobs/<name>/)"


def export_files() -> set[str]:
    """Every file name an export may write (in any mode and for any target)."""
    from . import ci
    from .job import NOTEBOOK_CODE, SCRIPT_CODE
    from .spec import LOCK_FILE, SPEC_FILE

    return {SPEC_FILE, LOCK_FILE, NOTEBOOK_CODE, SCRIPT_CODE, ci.DVC_FILE, ci.GITHUB_FILE, ci.GITLAB_FILE}


def previous_spec(folder: Path, notebook_rel: str) -> dict[str, Any] | None:
    """The ``job.yaml`` of ``folder`` if an export of ``notebook_rel`` wrote it, else None."""
    import yaml

    from .spec import SPEC_FILE

    path = folder / SPEC_FILE
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("source"), dict):
        return None
    return spec if spec["source"].get("notebook") == notebook_rel else None


def check_job_dir(job_dir: Path, notebook: Path | None, notebook_rel: str, root: Path) -> str:
    """May an export of ``notebook`` write ``job_dir``? Returns NEW, EMPTY or PREVIOUS;
    raises :class:`ExportConflict` when the folder holds anything else."""
    real = Path(os.path.realpath(job_dir))
    if not os.path.lexists(real):
        return NEW
    if not real.is_dir():
        raise ExportConflict(f"the job folder {job_dir} exists and is not a folder", hint=HINT)
    nb_real = Path(os.path.realpath(notebook)) if notebook is not None else None
    if real == Path(os.path.realpath(root)) or (nb_real is not None and nb_real.is_relative_to(real)):
        raise ExportConflict(f"the job folder {job_dir} is the project's folder or holds the notebook", hint=HINT)
    try:
        entries = os.listdir(real)
    except OSError as exc:
        raise ExportError(f"cannot read the job folder {job_dir}: {exc.strerror}") from None
    if not entries:
        return EMPTY
    marker = next((m for m in PROJECT_MARKERS if m in entries), None)
    if marker is None and previous_spec(real, notebook_rel) is not None:
        return PREVIOUS
    why = f"holds {marker}" if marker else "is not empty and is not a job folder of this notebook"
    raise ExportConflict(f"the job folder {job_dir} {why}: export does not write into it", hint=HINT)


def write_job_dir(job_dir: Path, files: dict[str, bytes], state: str, notebook_rel: str) -> None:
    """Write ``files`` as the folder ``job_dir`` (``state`` from :func:`check_job_dir`)."""
    real = Path(os.path.realpath(job_dir))
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        tmp = real.with_name(f".{real.name}.export-{os.getpid()}-{os.urandom(3).hex()}")
        os.mkdir(tmp)  # mode 0o777 minus the umask, like any folder the user makes
    except OSError as exc:
        raise ExportError(f"cannot write the job folder {job_dir}: {exc.strerror}") from None
    try:
        for name, data in files.items():
            _write(tmp / name, data)
        if state == PREVIOUS:
            _carry_over(real, tmp, files, notebook_rel)
        _put_in_place(tmp, real, state, job_dir)
    except OSError as exc:
        raise ExportError(f"cannot write the job folder {job_dir}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:  # mode 0o666 minus the umask
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _carry_over(old: Path, new: Path, files: dict[str, bytes], notebook_rel: str) -> None:
    """Copy what the earlier export did not write (run outputs, dvc.lock, user files)."""
    spec = previous_spec(old, notebook_rel) or {}
    ours = export_files() | set(files) | {str(spec.get("code", ""))} | _wheels_named(spec)
    for name in os.listdir(old):
        if name in ours:
            continue
        src, dst = old / name, new / name
        if src.is_dir() and not src.is_symlink():
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copy2(src, dst, follow_symlinks=False)


def _wheels_named(spec: Any) -> set[str]:
    """Wheel files (``*.whl``) that the earlier spec names: the tool travelling with the job
    was written by that export (a newer export may name another version)."""
    found: set[str] = set()
    stack = [spec]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item.endswith(".whl"):
            found.add(item.rsplit("/", 1)[-1])
    return found


def _put_in_place(tmp: Path, real: Path, state: str, job_dir: Path) -> None:
    from .._util import swap_dirs
    from .spec import SPEC_FILE

    if state == NEW:
        try:
            os.rename(tmp, real)
        except OSError:
            if os.path.lexists(real):  # made by someone else meanwhile: never replace it
                raise ExportConflict(f"the job folder {job_dir} appeared during the export", hint=HINT) from None
            raise
    elif state == EMPTY:
        # Link each file in (a link never replaces an existing file); job.yaml last, so a
        # folder with a job.yaml is always complete.
        linked: list[Path] = []
        try:
            for name in sorted(os.listdir(tmp), key=lambda n: n == SPEC_FILE):
                _link_new(tmp / name, real / name)
                linked.append(real / name)
        except FileExistsError:
            for path in linked:
                path.unlink(missing_ok=True)
            raise ExportConflict(f"the job folder {job_dir} changed during the export", hint=HINT) from None
    else:
        old = swap_dirs(tmp, real)
        with contextlib.suppress(OSError):
            shutil.rmtree(old)


def _link_new(src: Path, dst: Path) -> None:
    """``dst`` as a new name of ``src``; FileExistsError rather than replacing ``dst``."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system: an exclusive copy
        with open(src, "rb") as fin, open(dst, "xb") as fout:
            shutil.copyfileobj(fin, fout)
