"""What a run records about where it ran, without the user asking.

git (commit, branch, remote, dirty flag, the uncommitted diff), the notebook's real path,
Python/platform/package versions, and papermill's ``parameters`` values. Everything here
is best effort: a missing git or notebook never stops a run from starting.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import mask_secret
from ..session import session

GIT_TIMEOUT = 10
MAX_DIFF_BYTES = 20_000_000


@dataclass
class GitInfo:
    """The git state of the project when the run started."""

    commit: str | None = None
    branch: str | None = None
    remote: str | None = None
    dirty: bool = False
    diff: str = ""
    untracked: list[str] = field(default_factory=list)
    root: str | None = None

    def tags(self) -> dict[str, str]:
        """MLflow's standard source tags plus our dirty flag."""
        if not self.commit:
            return {"mlops.git": "not a git repository"}
        out = {"mlflow.source.git.commit": self.commit, "mlops.git.dirty": str(self.dirty).lower()}
        if self.branch:
            out["mlflow.source.git.branch"] = self.branch
        if self.remote:
            out["mlflow.source.git.repoURL"] = self.remote
        return out


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False,
            errors="replace",
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def git_info(cwd: Path) -> GitInfo:
    """Read commit, branch, remote and the uncommitted changes of the repo around ``cwd``."""
    commit = _git(cwd, "rev-parse", "HEAD")
    if commit is None:
        return GitInfo()
    info = GitInfo(commit=commit.strip(), root=(_git(cwd, "rev-parse", "--show-toplevel") or "").strip() or None)
    branch = (_git(cwd, "rev-parse", "--abbrev-ref", "HEAD") or "").strip()
    info.branch = branch if branch and branch != "HEAD" else None
    remotes = (_git(cwd, "remote") or "").split()
    if remotes:
        name = "origin" if "origin" in remotes else remotes[0]
        url = (_git(cwd, "remote", "get-url", name) or "").strip()
        info.remote = mask_secret(url) if url else None
    status = _git(cwd, "status", "--porcelain", "--untracked-files=normal") or ""
    lines = [line for line in status.splitlines() if line.strip()]
    info.untracked = [line[3:] for line in lines if line.startswith("??")]
    info.dirty = bool(lines)
    if any(not line.startswith("??") for line in lines):
        info.diff = (_git(cwd, "diff", "HEAD", "--binary") or "")[:MAX_DIFF_BYTES]
    return info


def environment_info() -> tuple[dict[str, str], str]:
    """Tags for Python/platform, and a ``pip freeze``-like list of installed packages."""
    from importlib import metadata

    tags = {
        "mlops.python": platform.python_version(),
        "mlops.platform": platform.platform(),
        "mlops.executable": sys.executable,
    }
    pkgs: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            pkgs[str(name)] = str(dist.version)
    freeze = "\n".join(f"{n}=={v}" for n, v in sorted(pkgs.items(), key=lambda kv: kv[0].lower()))
    for key in ("mlflow", "scikit-learn", "torch", "tensorflow", "xgboost", "lightgbm", "pandas", "numpy"):
        if key in pkgs:
            tags[f"mlops.pkg.{key}"] = pkgs[key]
    return tags, freeze + "\n"


def _user_ns() -> dict[str, Any]:
    ns = session.state.get("tracking.user_ns")
    if isinstance(ns, dict):
        return ns
    main = sys.modules.get("__main__")
    return dict(vars(main)) if main is not None else {}


def notebook_path() -> str | None:
    """The notebook this kernel runs: told by the frontend/runner, JupyterLab, or VS Code."""
    candidates = [
        session.notebook_path,
        os.environ.get("JPY_SESSION_NAME"),
        _user_ns().get("__vsc_ipynb_file__"),
    ]
    root = session.config().root
    for cand in candidates:
        if not cand or not isinstance(cand, str):
            continue
        path = Path(cand)
        if not path.is_absolute():
            for base in (Path.cwd(), root):
                if (base / path).exists():
                    path = base / path
                    break
        if path.suffix == ".ipynb":
            return str(path.resolve()) if path.exists() else str(path)
    return None


def read_notebook(path: str | None) -> dict[str, Any] | None:
    """The notebook JSON on disk (None when unknown or unreadable)."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def papermill_parameters(nb: dict[str, Any] | None) -> dict[str, Any]:
    """Values of the names assigned in the ``parameters`` (and ``injected-parameters``) cells.

    The kernel's current value is used when it is a plain value (so injected values win);
    otherwise the literal from the cell.
    """
    if not nb:
        return {}
    names: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", []) or []
        if cell.get("cell_type") != "code" or not ({"parameters", "injected-parameters"} & set(tags)):
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        try:
                            names[target.id] = ast.literal_eval(node.value)
                        except (ValueError, SyntaxError, TypeError):
                            names[target.id] = None
    ns = _user_ns()
    out: dict[str, Any] = {}
    for name, literal in names.items():
        value = ns.get(name, literal)
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[name] = value
        elif isinstance(value, (list, tuple, dict)):
            out[name] = json.dumps(value, default=str)
    return out
