"""What `make demo` prints after the notebooks ran: runs, what was captured, the job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _cli(run_dir: Path, *args: str) -> int:
    exe = str(Path(sys.executable).with_name("mlops-jupyter"))
    print(f"\n$ mlops-jupyter {' '.join(args)}", flush=True)
    return subprocess.run([exe, *args], cwd=run_dir).returncode


def show_runs(run_dir: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{run_dir / '.mlops' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    print("\nruns tracked by the demo notebooks:")
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id], max_results=20, order_by=["attributes.start_time ASC"]):
            tags = run.data.tags
            artifacts = [a.path for a in client.list_artifacts(run.info.run_id)]
            print(
                f"  {run.info.run_id}  {exp.name}/{run.info.run_name}  {run.info.status}\n"
                f"      notebook: {Path(tags['mlops.notebook.path']).name if 'mlops.notebook.path' in tags else '-'}  git: {tags.get('mlflow.source.git.commit', '-')[:12]}"
                f"  metrics: {', '.join(sorted(run.data.metrics)) or '-'}\n"
                f"      artifacts: {', '.join(artifacts) or '-'}"
            )
    print(f"\nopen the MLflow UI on this store:\n  {Path(sys.executable).with_name('mlflow')} ui --backend-store-uri {uri}")


def summarize(run_dir: Path, only: str | None = None) -> int:
    show_runs(run_dir)
    if only and "01" not in only:
        return 0
    notebook = "01_tracking.ipynb"
    rc = _cli(run_dir, "export", notebook, "--out", "jobs/01_tracking")
    if rc == 0:
        rc = _cli(run_dir, "run", "jobs/01_tracking")
    if rc == 0:
        rc = _cli(run_dir, "rehearse", notebook)
    return rc
