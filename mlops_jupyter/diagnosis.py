"""``mj.doctor()`` / ``%mlops_doctor`` / ``mlops-jupyter doctor``: check config, git, DVC and
the tracking store; say what to fix.

(The module is not named ``doctor``: a submodule of that name would shadow ``mj.doctor``.)"""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._views import Viewable
from .errors import MlopsError
from .session import session


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


@dataclass
class DoctorReport(Viewable):
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.__dict__ for c in self.checks]}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=20)


def _check_store(uri: str) -> Check:
    if uri.startswith("sqlite:///"):
        path = Path(uri[len("sqlite:///") :])
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        if path.exists() or shutil.disk_usage(parent).free > 0:
            return Check("tracking store", "ok", f"SQLite at {path}" + ("" if path.exists() else " (created on first run)"))
        return Check("tracking store", "fail", f"cannot create {path}", "check permissions")
    if uri.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=3) as resp:
                return Check("tracking store", "ok", f"server {uri} answered {resp.status}")
        except (urllib.error.URLError, OSError) as exc:
            return Check(
                "tracking store", "fail", f"server {uri} unreachable ({exc})",
                "start it (mlflow server ...) or switch profile; runs will be spooled until then",
            )
    return Check("tracking store", "warn", f"store {uri} not checked")


def _check_dvc_remote(root: Path, top: Path | None, env: str, configured: str | None, source: str) -> Check | None:
    """The remote pins push to (the profile's ``dvc_remote``, else DVC's default) exists and
    is reachable: a local folder must exist and be writable; other remotes are asked with
    ``dvc remote list`` only (no network round trip here)."""
    import os

    from .data.repo import DataRepo
    from .errors import DataError

    repo = DataRepo(root, top if top is not None and top != root else None)
    try:
        name = configured or repo.config().get("core", {}).get("remote")
    except DataError as exc:
        return Check("dvc remote", "fail", exc.message, exc.hint or "")
    if not name:
        return Check("dvc remote", "warn", "no DVC remote: pins stay on this machine",
                     f"dvc remote add -d storage /path/to/folder (and dvc_remote = \"storage\" in [env.{env}])")
    where = f"dvc_remote of profile '{env}' ({source})" if configured else "DVC's default remote"
    try:
        local = repo.local_remote_dir(name)
    except DataError:
        return Check("dvc remote", "fail", f"remote '{name}' ({where}) is not configured in {root / '.dvc' / 'config'}",
                     f"dvc remote add {name} /path/to/folder, or change {where}")
    if local is None:
        return Check("dvc remote", "ok", f"'{name}' at {repo.remote_url(name)} (cloud remote: reachability checked on push)")
    parent = local if local.exists() else local.parent
    if not parent.exists() or not os.access(parent, os.W_OK):
        return Check("dvc remote", "fail", f"remote '{name}' folder {local} is not writable or its parent is missing",
                     f"mkdir -p {local} (or fix `dvc remote modify {name} url ...`)")
    return Check("dvc remote", "ok", f"'{name}' at {local}" + ("" if local.exists() else " (created on first push)"))


def run_doctor() -> DoctorReport:
    """Run every check; never raises for a failed check (each says what to fix)."""
    report = DoctorReport()
    try:
        cfg = session.config()
        profile = session.profile()
    except MlopsError as exc:
        report.checks.append(Check("config", "fail", exc.message, exc.hint or ""))
        return report
    report.checks.append(Check("config", "ok", cfg.describe_source()))
    report.checks.append(Check("environment", "ok", f"{profile.name} ({profile.interactive})"))
    root = cfg.root
    top = None
    if shutil.which("git") is None:
        report.checks.append(Check("git", "fail", "git is not installed", "apt-get install git"))
    elif (proc := _git(root, "rev-parse", "--show-toplevel")).returncode != 0:
        report.checks.append(Check("git", "warn", f"{root} is not a git repository", f"git init {root}"))
    else:
        top = Path(proc.stdout.strip()).resolve()
        dirty = bool(_git(root, "status", "--porcelain").stdout.strip())
        report.checks.append(Check("git", "ok", "repository" + (" (uncommitted changes)" if dirty else "")))
    from .data.repo import dvc_root

    here = root.resolve()
    found = dvc_root(here, top)  # the project folder or a folder above it, up to the git top
    if found is not None:
        report.checks.append(Check("dvc", "ok", "DVC repository" + ("" if found == here else f" at {found}")))
        remote = _check_dvc_remote(found, top, profile.name, profile.dvc_remote, cfg.describe_source())
        if remote is not None:
            report.checks.append(remote)
    else:
        subdir = " --subdir" if top is not None and top != here else ""
        report.checks.append(Check("dvc", "warn", "no DVC repository", f"cd {root} && dvc init{subdir}"))
    report.checks.append(_check_store(profile.tracking_uri))
    return report


def doctor() -> DoctorReport:
    """Check config, git, DVC (and its remote) and the tracking store; each check says what
    to fix. Never raises for a failed check: ``report.ok`` is False when one failed."""
    return run_doctor()
