"""``mlops-jupyter run JOB --install``: make the active environment the job's, then run.

Used by the job's ``dvc.yaml`` stage, so that ``dvc repro`` installs what the job pins
(``pip install --no-deps -r requirements.lock``: the packages and the exact mlops_jupyter)
when the active environment differs. It refuses, rather than overwrite it, an
mlops_jupyter that runs from a checkout (an editable install or ``PYTHONPATH``): that is a
development environment, and the job belongs in its own venv there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..errors import JobError
from .runner import environment_diff
from .spec import load_spec
from .wheel import _dist, content_digest, package_dir

DONE_VAR = "MLOPS_JOB_INSTALLED"  # set for the re-executed run: install at most once


def from_checkout() -> bool:
    """True when this mlops_jupyter is a development checkout (editable, or on PYTHONPATH)."""
    dist = _dist()
    direct = dist.read_text("direct_url.json") if dist is not None else None
    if direct:
        try:
            if json.loads(direct).get("dir_info", {}).get("editable"):
                return True
        except ValueError:
            pass
    return not any(part in ("site-packages", "dist-packages") for part in package_dir().parts)


def install_if_needed(job: str | Path) -> bool:
    """Install the job's lock when the tool or a pinned package differs; True if it did."""
    if os.environ.get(DONE_VAR):
        return False
    spec, job_dir = load_spec(job)
    tool = spec.get("tool") or {}
    tool_ok = not tool or tool.get("digest") == content_digest()
    packages = [d for d in environment_diff(spec) if d["package"] != "python"]
    if tool_ok and not packages:
        return False
    lock = job_dir / str(spec["environment"].get("lockfile", "requirements.lock"))
    if from_checkout():
        what = "mlops_jupyter" if not tool_ok else f"{len(packages)} package(s), e.g. {packages[0]['package']}"
        raise JobError(f"this environment differs from the job's ({what}) and runs mlops_jupyter from a checkout "
                       f"({package_dir()}): --install would replace it",
                       hint=f"give the job its own venv: python -m venv .venv-job && "
                            f".venv-job/bin/python -m pip install --no-deps -r {lock}")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-r", str(lock)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
        raise JobError(f"installing the job's environment failed: {tail[0][:200]}", hint=f"pip install --no-deps -r {lock}")
    return True


def reexec_run(argv: list[str]) -> None:
    """Run ``mlops-jupyter run`` again in a new process (the installed code), without --install."""
    args = [a for a in argv if a != "--install"]
    os.environ[DONE_VAR] = "1"
    os.execv(sys.executable, [sys.executable, "-m", "mlops_jupyter", *args])
