"""``requirements.lock``: only what the notebook needs, pinned to the exporting environment.

The roots are the distributions that the notebook's imports resolve to
(``importlib.metadata.packages_distributions``), the kernel's needs (ipykernel and
papermill/nbclient in notebook mode) and mlops_jupyter's own runtime dependencies minus
the ones only its JupyterLab side panel uses (:data:`UI_ONLY`). Their dependency closure
is walked through ``Requires-Dist`` with markers evaluated for this interpreter (extras
followed where a requirement names them) and pinned to the installed versions.
Development tools the notebook never imports (pytest, mypy, ruff, playwright, JupyterLab)
stay out. The job installs the lock with ``pip install --no-deps``: the lock *is* the
environment, so the tool's own wheel does not drag JupyterLab back in.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOOL = "mlops-jupyter"
# mlops_jupyter's runtime dependencies that only the side panel / server extension needs;
# a CI job runs no Jupyter server (they come back when the notebook imports them).
UI_ONLY = frozenset({"jupyterlab", "jupyter-server"})
# what any job needs to run its code: the kernel and the notebook runner
KERNEL_NOTEBOOK = ("ipykernel", "papermill", "nbclient")
KERNEL_SCRIPT = ("ipykernel",)
# installer tooling is the runner's business, never pinned by a job
NEVER = frozenset({"pip", "setuptools", "wheel", "distribute"})
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.,\s]*))")


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Lock:
    """The pinned closure: ``packages`` (canonical name -> version) and what was not found."""

    packages: dict[str, str] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # notebook imports without a distribution
    missing: list[str] = field(default_factory=list)  # required distributions not installed here


def _strip_magics(source: str) -> str:
    """Cell source as Python: magic and shell lines become ``pass`` (line numbers kept)."""
    out = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or re.match(r"^\w+\s*=\s*[!%]", stripped):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def imported_modules(sources: list[str]) -> list[str]:
    """Top-level module names imported by the cells (absolute imports only), in order."""
    names: list[str] = []
    for source in sources:
        if source.lstrip().startswith("%%") and not source.lstrip().startswith(("%%validate", "%%mlops_track")):
            continue  # a cell magic's body is not Python (bash, writefile, ...)
        text = _strip_magics(source)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            for line in text.splitlines():  # best effort on cells that do not parse
                m = _IMPORT_LINE.match(line)
                if m:
                    names += [p.strip().split(".")[0].split(" ")[0] for p in (m.group(1) or m.group(2)).split(",")]
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module.split(".")[0])
    return list(dict.fromkeys(n for n in names if n))


def _is_local(module: str, root: Path | None) -> bool:
    """A module found as a file of the project (it travels with the repository)."""
    if root is None:
        return False
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    origin = getattr(spec, "origin", None) or ""
    locations = [*(getattr(spec, "submodule_search_locations", None) or []), origin]
    if spec is None:
        return (root / f"{module}.py").is_file() or (root / module / "__init__.py").is_file()
    root_s = str(root.resolve())
    return any(loc and str(Path(loc).resolve()).startswith(root_s + "/") and ".venv" not in loc
               for loc in locations)


@dataclass
class _Dist:
    """What the closure needs of an installed distribution (read once, cached)."""

    version: str
    requires: list[str]


_CACHE: dict[str, Any] = {}


def _path_state() -> tuple[tuple[str, int], ...]:
    """sys.path folders with their modification times: an install or removal changes them."""
    import os

    state = []
    for entry in sys.path:
        try:
            state.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(state)


def _environment() -> tuple[dict[str, _Dist], dict[str, list[str]]]:
    """(canonical name -> distribution, module -> distributions), first on ``sys.path`` wins.

    Reading every distribution's metadata costs about a second with a few hundred of them:
    the result is kept until a ``sys.path`` folder changes (an install, a removal)."""
    state = _path_state()
    if _CACHE.get("state") != state:
        installed: dict[str, _Dist] = {}
        for dist in md.distributions():
            name = dist.metadata["Name"] if dist.metadata else None
            if name and canonical(name) not in installed:
                installed[canonical(name)] = _Dist(dist.version, list(dist.requires or []))
        _CACHE.update(state=state, installed=installed, owners=md.packages_distributions())
    return _CACHE["installed"], _CACHE["owners"]


def _marker_env(extra: str) -> dict[str, str]:
    from packaging.markers import default_environment

    env = {k: str(v) for k, v in default_environment().items()}
    env["extra"] = extra
    return env


def closure(roots: list[tuple[str, set[str]]], installed: dict[str, Any],
            skip: frozenset[str] = frozenset()) -> tuple[dict[str, str], list[str]]:
    """Pinned dependency closure of ``roots`` ((name, extras) pairs) among ``installed``."""
    from packaging.requirements import InvalidRequirement, Requirement

    pins: dict[str, str] = {}
    missing: list[str] = []
    seen: set[tuple[str, str]] = set()
    todo = [(canonical(n), set(extras)) for n, extras in roots]
    while todo:
        name, extras = todo.pop()
        if name in NEVER or name in skip:
            continue
        dist = installed.get(name)
        if dist is None:
            missing.append(name)
            continue
        pins[name] = dist.version
        for extra in ["", *sorted(extras)]:
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for line in dist.requires or []:
                try:
                    req = Requirement(line)
                except InvalidRequirement:
                    continue
                if req.marker is not None and not req.marker.evaluate(_marker_env(extra)):
                    continue
                todo.append((canonical(req.name), set(req.extras)))
    return dict(sorted(pins.items())), sorted(set(missing))


def tool_requirements(installed: dict[str, Any]) -> list[tuple[str, set[str]]]:
    """mlops_jupyter's runtime requirements (no extras), minus the side panel's."""
    from packaging.requirements import Requirement

    dist = installed.get(TOOL)
    lines = _project_requirements() or (dist.requires if dist is not None else None) or []
    out = []
    for line in lines:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(_marker_env("")):
            continue
        if canonical(req.name) not in UI_ONLY:
            out.append((req.name, set(req.extras)))
    return out


def _project_requirements() -> list[str] | None:
    """``[project] dependencies`` of the checkout this mlops_jupyter runs from, if any
    (an editable install's metadata can lag behind its pyproject.toml)."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    project = data.get("project", {})
    if project.get("name") not in ("mlops_jupyter", "mlops-jupyter"):
        return None
    return list(project.get("dependencies", []))


def build_lock(sources: list[str], mode: str, root: Path | None) -> Lock:
    """The lock for a notebook whose code cells are ``sources``, run in ``mode``."""
    installed, owners = _environment()
    lock = Lock()
    roots: list[tuple[str, set[str]]] = []
    for module in imported_modules(sources):
        if module in sys.stdlib_module_names or module in ("__future__", "mlops_jupyter"):
            continue  # the tool travels with the job on its own (wheel or pin)
        dists = owners.get(module)
        if not dists:
            if not _is_local(module, root):
                lock.unresolved.append(module)
            continue
        for d in dists:
            if canonical(d) != TOOL:
                roots.append((d, set()))
    roots += [(k, set()) for k in (KERNEL_NOTEBOOK if mode == "notebook" else KERNEL_SCRIPT)]
    roots += tool_requirements(installed)
    lock.roots = sorted({canonical(n) for n, _ in roots})
    lock.packages, lock.missing = closure(roots, installed, skip=frozenset({TOOL}))
    return lock


def lock_text(lock: Lock, python: str, tool_line: list[str]) -> str:
    """``requirements.lock``: header, the pins, and the lines that install the tool itself."""
    lines = [
        f"# environment of this job (Python {python}): what the notebook imports, the kernel,",
        "# mlops_jupyter's runtime dependencies, and their closure, pinned to the exporting",
        "# environment. Install with: python -m pip install --no-deps -r requirements.lock",
    ]
    lines += [f"{name}=={version}" for name, version in lock.packages.items()]
    return "\n".join(lines + tool_line) + "\n"


def lock_notes(lock: Lock) -> list[str]:
    """Warnings for the export result: imports and requirements that the lock cannot pin."""
    notes = []
    if lock.unresolved:
        notes.append("imports that resolve to no installed distribution (not in requirements.lock): "
                     + ", ".join(lock.unresolved[:20]))
    if lock.missing:
        notes.append("required distributions not installed here (not pinned): " + ", ".join(lock.missing[:20]))
    return notes
