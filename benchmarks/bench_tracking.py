"""Tracking benchmarks (``make bench``): ratios against the lower bound / plain MLflow.

1. ``%load_ext mlops_jupyter`` over a bare IPython shell start (target: at most +0.15 s).
2. 1,000 ``mj.log(loss=..., step=i)`` calls vs 1,000 ``mlflow.log_metric`` calls on the same
   SQLite store (target: the mj loop returns in at most 2% of the MLflow loop's time), and
   all 1,000 points stored after ``end_run``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = 1000
LOAD_EXT_TARGET_S = 0.15
LOG_RATIO_TARGET = 0.02

_SHELL = """
import json, time
t0 = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
t1 = time.perf_counter()
if {load}:
    ip.run_line_magic("load_ext", "mlops_jupyter")
t2 = time.perf_counter()
print(json.dumps({{"shell": t1 - t0, "load_ext": t2 - t1}}))
"""


def _shell_times(load: bool, cwd: str) -> dict[str, float]:
    env = dict(os.environ, IPYTHONDIR=os.path.join(cwd, "ipython"))
    out = subprocess.run([sys.executable, "-c", _SHELL.format(load=load)], cwd=cwd, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench_load_ext(repeat: int = 5) -> dict[str, float]:
    """Median bare shell start and median extra time of ``%load_ext`` (fresh processes)."""
    with tempfile.TemporaryDirectory() as tmp:
        _shell_times(True, tmp)  # warm the OS file cache
        bare = [_shell_times(False, tmp)["shell"] for _ in range(repeat)]
        extra = [_shell_times(True, tmp)["load_ext"] for _ in range(repeat)]
    return {"bare_shell_s": statistics.median(bare), "load_ext_extra_s": statistics.median(extra)}


def bench_log(n: int = N) -> dict[str, float]:
    """``mj.log`` loop vs ``mlflow.log_metric`` loop on one SQLite store."""
    import mlflow

    import mlops_jupyter as mj
    from mlops_jupyter.session import session

    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        session.start_dir = Path(tmp)
        uri = session.profile().tracking_uri
        run = mj.start_run(name="bench-mj")  # creates the store (schema) under its lock
        t = time.perf_counter()
        for i in range(n):
            mj.log(loss=1.0 / (i + 1), step=i)
        mj_loop = time.perf_counter() - t
        t = time.perf_counter()
        mj.end_run(capture=False)
        mj_flush = time.perf_counter() - t
        stored = len(run.client.get_metric_history(run.run_id, "loss"))

        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(run.experiment_name)
        with mlflow.start_run(run_name="bench-mlflow"):
            t = time.perf_counter()
            for i in range(n):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
            mlflow_loop = time.perf_counter() - t
        os.chdir("/")
    return {
        "mj_loop_s": mj_loop, "mj_end_flush_s": mj_flush, "mlflow_loop_s": mlflow_loop,
        "ratio": mj_loop / mlflow_loop, "stored_points": stored,
    }


def main() -> int:
    """Run both benchmarks, print the numbers and ratios; exit 1 when a target is missed."""
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    load = bench_load_ext()
    print(f"%load_ext mlops_jupyter: +{load['load_ext_extra_s']:.3f} s over a bare IPython shell start "
          f"({load['bare_shell_s']:.3f} s); ratio {load['load_ext_extra_s'] / load['bare_shell_s']:.2f}; "
          f"target <= {LOAD_EXT_TARGET_S} s")
    log = bench_log()
    print(f"{N} mj.log calls: {log['mj_loop_s'] * 1000:.1f} ms (+{log['mj_end_flush_s'] * 1000:.0f} ms flush at end_run); "
          f"{N} mlflow.log_metric calls: {log['mlflow_loop_s'] * 1000:.0f} ms; ratio {log['ratio']:.4f} "
          f"(target <= {LOG_RATIO_TARGET}); points stored {log['stored_points']}/{N}")
    ok = load["load_ext_extra_s"] <= LOAD_EXT_TARGET_S and log["ratio"] <= LOG_RATIO_TARGET and log["stored_points"] == N
    print("tracking benchmarks:", "targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
