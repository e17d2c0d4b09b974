"""`make demo`: run the demo notebooks headless on the embedded default, then export the
tracking demo as a job, run that job and show the rehearsal report.

The demo project is a real git + DVC repository under ``demo_notebooks/_run/`` with a
local-folder DVC remote and MLflow on SQLite (``.mlops/mlflow.db``): nothing to start.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUN_DIR = HERE / "_run"

MLOPS_TOML = """# Config as code: one file for the kernel, the server, the CLI and exported jobs.
experiment = "demo"
default_env = "dev"

[env.dev]
tracking_uri = "sqlite:///.mlops/mlflow.db"   # embedded default, no server needed
dvc_remote = "local"

[env.prod]
tracking_uri = "sqlite:///.mlops/mlflow.db"
dvc_remote = "local"
interactive = "read-only"                     # interactive kernels cannot write in prod
"""


def notebooks() -> list[Path]:
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def prepare(run_dir: Path = RUN_DIR, fresh: bool = True) -> Path:
    """Create the demo project: git + DVC repo, local DVC remote, mlops.toml, notebooks."""
    if fresh and run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / ".git").exists():
        _run(["git", "init", "-q", "-b", "main"], run_dir)
        _run(["git", "config", "user.email", "demo@example.com"], run_dir)
        _run(["git", "config", "user.name", "mlops demo"], run_dir)
    if not (run_dir / ".dvc").exists():
        dvc = str(Path(sys.executable).with_name("dvc"))
        _run([dvc, "init", "-q"], run_dir)
        _run([dvc, "config", "core.analytics", "false"], run_dir)
        remote = run_dir.parent / "_run_dvc_remote"
        remote.mkdir(exist_ok=True)
        _run([dvc, "remote", "add", "-d", "local", str(remote)], run_dir)
    (run_dir / "mlops.toml").write_text(MLOPS_TOML)
    (run_dir / ".gitignore").write_text(".mlops/\njobs/\n*.executed.ipynb\n")
    for nb in notebooks():
        shutil.copy(nb, run_dir / nb.name)
    _run(["git", "add", "-A"], run_dir)
    _run(["git", "commit", "-q", "-m", "demo project", "--allow-empty"], run_dir)
    return run_dir


def execute(nb_path: Path, cwd: Path, timeout: int = 600) -> object:
    """Execute one notebook in a fresh python3 kernel, saving outputs in place."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(nb_path, as_version=4)
    env_name = "JPY_SESSION_NAME"
    os.environ[env_name] = str(nb_path)  # the kernel learns its notebook as in JupyterLab
    try:
        for attempt in range(3):
            try:
                NotebookClient(nb, kernel_name="python3", timeout=timeout,
                               extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no TCP notice
                               resources={"metadata": {"path": str(cwd)}}).execute()
                break
            except RuntimeError as exc:
                # the kernel lost its TCP port to another process before running anything
                if "Kernel died before replying to kernel_info" not in str(exc) or attempt == 2:
                    raise
    finally:
        os.environ.pop(env_name, None)
    nbformat.write(nb, nb_path)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prepare-only", action="store_true", help="set up the project, run nothing")
    parser.add_argument("--only", help="run only notebooks whose name contains this")
    parser.add_argument("--keep", action="store_true",
                        help="keep an existing demo project (and the user's edits in it)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    # nobody watches these kernels live: the run charts are saved as plain figures, which
    # render when the notebooks are opened (a widget's saved state would embed plotly.js, ~5 MB)
    os.environ.setdefault("MLOPS_LIVE_CHART", "static")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # a saved bar would read "0%"
    # --keep: an existing demo project may hold the user's work, so it is left as it is
    run_dir = RUN_DIR if args.keep and (RUN_DIR / ".dvc").exists() else prepare()
    print(f"demo project: {run_dir}")
    if args.prepare_only:
        return 0
    for nb in notebooks():
        if args.only and args.only not in nb.name:
            continue
        start = time.monotonic()
        print(f"running {nb.name} ...", flush=True)
        execute(run_dir / nb.name, run_dir)
        print(f"  done in {time.monotonic() - start:.1f} s")
    from demo_summary import summarize  # type: ignore[import-not-found]

    return summarize(run_dir, only=args.only)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
