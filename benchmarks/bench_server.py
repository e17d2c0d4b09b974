"""Runs route of the side panel: first page for an experiment with 10,000 runs on SQLite.

Budget: under 300 ms per request (warm server). The store is filled by cloning the rows
of one real MLflow run with bulk SQL (creating 10,000 runs through the client would take
minutes), then a real ``jupyter server`` with the extension answers
``GET /mlops-jupyter/runs`` filtered by notebook and sorted by a metric. Prints the
median time and its ratio to the budget.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

N_RUNS = 10_000
BUDGET_MS = 300.0
TOKEN = "bench-token"
REPEAT = 9


def fill_store(root: Path, n_runs: int = N_RUNS) -> str:
    """A SQLite store with ``n_runs`` runs of one notebook, each with 3 metrics; returns the db path."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    db = root / ".mlops" / "mlflow.db"
    db.parent.mkdir(parents=True)
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    exp_id = client.create_experiment("bench")
    notebook = str(root / "nb.ipynb")
    seed = client.create_run(exp_id, run_name="seed", tags={"mlops.notebook.path": notebook})
    client.log_batch(
        seed.info.run_id,
        metrics=[Metric("acc", 0.5, 0, 0), Metric("loss", 0.5, 0, 0), Metric("f1", 0.5, 0, 0)],
        params=[Param("lr", "0.1")],
        tags=[RunTag("team", "bench")],
    )
    client.set_terminated(seed.info.run_id, "FINISHED")
    con = sqlite3.connect(db)
    tables = ["runs", "tags", "params", "metrics", "latest_metrics"]
    templates = {}
    for table in tables:
        cur = con.execute(f"SELECT * FROM {table} WHERE run_uuid = ?", (seed.info.run_id,))
        cols = [d[0] for d in cur.description]
        templates[table] = (cols, cur.fetchall())
    ids = [uuid.uuid4().hex for _ in range(1, n_runs)]
    with con:
        for table in tables:
            cols, rows = templates[table]
            batch = []
            for i, rid in enumerate(ids, start=1):
                for row in rows:
                    rec = dict(zip(cols, row, strict=True))
                    rec["run_uuid"] = rid
                    if table == "runs":
                        rec["name"] = f"run-{i}"
                        rec["start_time"] = int(rec["start_time"]) + i
                        rec["artifact_uri"] = str(rec["artifact_uri"]).replace(seed.info.run_id, rid)
                    if table in ("metrics", "latest_metrics"):
                        rec["value"] = (i * 7919 % 10_007) / 10_007
                    batch.append(tuple(rec[c] for c in cols))
            con.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", batch
            )
    count = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    con.close()
    assert count == n_runs, count
    return str(db)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as resp:
        body = resp.read()
        assert resp.status == 200, resp.status
    assert b'"runs"' in body
    return (time.perf_counter() - start) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        root.mkdir()
        (root / "mlops.toml").write_text('experiment = "bench"\n[env.dev]\ntracking_uri = "sqlite:///.mlops/mlflow.db"\n')
        (root / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
        t0 = time.perf_counter()
        fill_store(root)
        print(f"bench_server: filled {N_RUNS} runs in {time.perf_counter() - t0:.1f} s")
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "MLFLOW_TRACKING"))}
        env["JUPYTER_RUNTIME_DIR"] = str(Path(tmp) / "runtime")
        jupyter = str(Path(sys.executable).parent / "jupyter")
        proc = subprocess.Popen(
            [jupyter, "server", "--no-browser", "--allow-root", f"--IdentityProvider.token={TOKEN}",
             "--ServerApp.ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={root}"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}/mlops-jupyter"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    _get(f"{base}/runs?token={TOKEN}&page_size=1")
                    break
                except (OSError, AssertionError):
                    if time.time() > deadline or proc.poll() is not None:
                        raise SystemExit("bench_server: jupyter server did not start") from None
                    time.sleep(0.5)
            cases = {
                "notebook filter, sort metrics.acc desc": "notebook=nb.ipynb&sort=metrics.acc&order=desc",
                "notebook filter, newest first": "notebook=nb.ipynb",
                "whole experiment, sort metrics.loss asc": "sort=metrics.loss&order=asc",
            }
            worst = 0.0
            for label, query in cases.items():
                url = f"{base}/runs?token={TOKEN}&page_size=50&{query}"
                _get(url)  # warm the query plan and caches once
                times = [_get(url) for _ in range(REPEAT)]
                med = statistics.median(times)
                worst = max(worst, med)
                print(f"bench_server: runs first page ({label}): median {med:.1f} ms, "
                      f"ratio to {BUDGET_MS:.0f} ms budget {med / BUDGET_MS:.2f}")
            verdict = "OK" if worst < BUDGET_MS else "OVER BUDGET"
            print(f"bench_server: worst median {worst:.1f} ms over {N_RUNS} runs -> {verdict}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
