"""Drift benchmark: 1,000,000 rows x 25 columns (20 numeric, 5 categorical with ~20 levels,
some nulls), drift in 5 columns.

Ratios printed:
- mlops_jupyter's full auto report vs Evidently's DataDriftPreset on the same frames
  (Evidently runs in its own venv, benchmarks/.venv-evidently, created here with
  pandas<3; it takes about 2 minutes, so ``--skip-peers`` leaves it out). Goal: >= 50x.
- vs a bare numpy pass that sorts each numeric column of both frames once. Goal: <= 3x.
- peak memory of the drift call vs the size of the two input frames. Goal: <= 2x.

Usage: ``python benchmarks/bench_drift.py [--rows N] [--skip-peers]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".venv-evidently"
PEER_REQUIREMENTS = ["evidently==0.7.23", "pandas<3"]
N_NUMERIC, N_CATEGORICAL, N_LEVELS = 20, 5, 20


def make_frames(rows: int, seed: int = 0) -> tuple[Any, Any]:
    """Reference and current frames; numeric 0-2 and categorical 0-1 drift, rest not."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    levels = np.array([f"level_{i:02d}" for i in range(N_LEVELS)], dtype=object)
    base_p = rng.dirichlet(np.ones(N_LEVELS) * 5)

    def one(shifted: bool) -> Any:
        cols: dict[str, Any] = {}
        for i in range(N_NUMERIC):
            x = rng.normal(0, 1 + i / 10, rows)
            if shifted and i < 3:
                x = x + 0.5 * (1 + i / 10)
            x[rng.random(rows) < 0.01] = np.nan  # 1% nulls
            cols[f"num_{i:02d}"] = x
        for j in range(N_CATEGORICAL):
            p = base_p
            if shifted and j < 2:
                p = np.roll(base_p, 3)
            c = levels[rng.choice(N_LEVELS, rows, p=p)]
            c[rng.random(rows) < 0.01] = None
            cols[f"cat_{j}"] = c
        return pd.DataFrame(cols)

    return one(False), one(True)


def frame_bytes(df: Any) -> int:
    return int(df.memory_usage(deep=True, index=True).sum())


def numpy_baseline(ref: Any, cur: Any) -> tuple[float, float]:
    """(wall, cpu) seconds of sorting each numeric column of both frames once."""
    import numpy as np

    start, cpu = time.perf_counter(), time.process_time()
    for df in (ref, cur):
        for col in df.columns[:N_NUMERIC]:
            np.sort(df[col].to_numpy())
    return time.perf_counter() - start, time.process_time() - cpu


def ours(ref: Any, cur: Any, repeat: int = 3) -> tuple[float, float, Any]:
    """Median (wall, cpu) seconds of the full auto report, and the report."""
    import mlops_jupyter as mj

    mj.drift(ref.iloc[:2000], cur.iloc[:2000], record_check=False)  # first-use imports (scipy)
    times, rep = [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        rep = mj.drift(ref, cur, record_check=False)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    wall = sorted(t[0] for t in times)[len(times) // 2]
    cpu_s = sorted(t[1] for t in times)[len(times) // 2]
    return wall, cpu_s, rep


def memory_child(rows: int) -> None:
    """In a fresh process: the peak RSS during drift above the RSS before it (VmHWM is
    reset through /proc/self/clear_refs, so building the frames does not count)."""

    def status(key: str) -> float:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    import mlops_jupyter as mj

    ref, cur = make_frames(rows)
    size_mb = (frame_bytes(ref) + frame_bytes(cur)) / 2**20
    mj.drift(ref.iloc[:2000], cur.iloc[:2000], record_check=False)  # first-use imports
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset the high-water mark to the current RSS
    before = status("VmRSS")
    mj.drift(ref, cur, record_check=False)
    peak = status("VmHWM")
    print(json.dumps({"input_mb": size_mb, "rss_before_mb": before, "peak_mb": peak,
                      "extra_mb": max(0.0, peak - before)}))


def evidently_child(rows: int) -> None:
    """Run Evidently's DataDriftPreset on the same frames (inside the peer venv)."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    ref, cur = make_frames(rows)
    start = time.perf_counter()
    Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def ensure_peer_venv() -> Path:
    py = PEER_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS], check=True)
    return py


def run_child(python: str, flag: str, rows: int, timeout: int = 1800) -> dict[str, Any]:
    out = subprocess.run([python, str(Path(__file__).resolve()), flag, "--rows", str(rows)],
                         capture_output=True, text=True, timeout=timeout, check=False,
                         env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    if out.returncode != 0:
        raise RuntimeError(f"{flag} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-peers", action="store_true", default=bool(os.environ.get("BENCH_SKIP_PEERS")),
                        help="do not run Evidently (~2 min); also BENCH_SKIP_PEERS=1")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--evidently-child", action="store_true", help=argparse.SUPPRESS)
    if argv is None:  # called by run_all.py: its command line is not ours
        argv = sys.argv[1:] if Path(sys.argv[0]).name == Path(__file__).name else []
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.rows)
        return 0
    if args.evidently_child:
        evidently_child(args.rows)
        return 0

    ref, cur = make_frames(args.rows)
    print(f"drift benchmark: {args.rows} rows x {ref.shape[1]} columns, "
          f"{(frame_bytes(ref) + frame_bytes(cur)) / 2**20:.0f} MB of input")
    runs = [numpy_baseline(ref, cur) for _ in range(3)]
    base, base_cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    t, t_cpu, rep = ours(ref, cur)
    drifted = sorted(rep.drifted_columns)
    print(f"mlops_jupyter auto report: {t:.2f} s wall, {t_cpu:.2f} s cpu (drifted: {', '.join(drifted)})")
    print(f"numpy sort-once baseline:  {base:.2f} s wall, {base_cpu:.2f} s cpu -> ratio "
          f"{t / base:.2f}x wall, {t_cpu / base_cpu:.2f}x cpu (goal <= 3x)")
    expected = {f"num_{i:02d}" for i in range(3)} | {f"cat_{j}" for j in range(2)}
    ok = set(drifted) == expected
    print(f"found exactly the 5 drifted columns: {ok}")
    mem = run_child(sys.executable, "--memory-child", args.rows)
    ratio = mem["extra_mb"] / mem["input_mb"]
    print(f"peak memory of the drift call: +{mem['extra_mb']:.0f} MB above {mem['rss_before_mb']:.0f} MB "
          f"(process with both frames loaded) for {mem['input_mb']:.0f} MB of input -> {ratio:.2f}x extra "
          f"(goal: peak <= 2x input)")
    if not args.skip_peers:
        py = ensure_peer_venv()
        ev = run_child(str(py), "--evidently-child", args.rows, timeout=3600)
        print(f"Evidently DataDriftPreset: {ev['seconds']:.1f} s -> we are {ev['seconds'] / t:.0f}x faster (goal >= 50x)")
    else:
        print("Evidently: skipped (--skip-peers)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
