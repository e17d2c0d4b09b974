"""Serving benchmarks (issue 16 targets, ratios printed):

* gateway overhead against calling the scoring server directly, same run, same model:
  p50 added latency ≤ 2 ms, throughput ≥ 90 % of direct (concurrency 8);
* ``mj.monitor`` over 1,000,000 logged requests (two arms, 10 % labelled) ≤ 1 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def _log_frame(n: int, t0: float, seed: int = 0) -> Any:
    import pandas as pd

    rng = np.random.default_rng(seed)
    arms = np.where(rng.random(n) < 0.2, "challenger", "champion")
    pred = rng.integers(0, 2, n)
    return pd.DataFrame({
        "request_id": [f"r{i:08d}" for i in range(n)], "time": t0 + np.sort(rng.random(n)) * 3600 * 6,
        "arm": arms, "model_uri": "models:/m/1", "model_version": np.where(arms == "champion", "1", "2"),
        "status": np.where(rng.random(n) < 0.001, 500, 200), "latency_ms": rng.gamma(2.0, 3.0, n),
        "n_rows": 1, "inputs": '[{"x": 1.0}]', "prediction": [f"[{p}]" for p in pred],
        "error": "", "key": "", "failover": ""}).astype({c: "string" for c in
        ("request_id", "arm", "model_uri", "model_version", "inputs", "prediction", "error", "key", "failover")})


def bench_monitor(n: int = 1_000_000) -> bool:
    import pandas as pd

    import mlops_jupyter as mj
    from mlops_jupyter.serving.log import _PART_CACHE, _hour
    from mlops_jupyter.session import session

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / ".mlops" / "serving" / "bench"
        frame = _log_frame(n, 1_800_000_000.0)
        for hour, rows in frame.groupby(frame["time"].map(_hour)):
            part = folder / "requests" / f"hour={hour}" / "part-000000000001.parquet"
            part.parent.mkdir(parents=True, exist_ok=True)
            rows.to_parquet(part, index=False)
        labelled = frame.sample(frac=0.1, random_state=0)
        fb = pd.DataFrame({"request_id": labelled["request_id"], "time": labelled["time"] + 60,
                           "label": labelled["prediction"].str.strip("[]")}).astype({"request_id": "string", "label": "string"})
        (folder / "feedback" / "hour=x").mkdir(parents=True)
        fb.to_parquet(folder / "feedback" / "hour=x" / "part-000000000001.parquet", index=False)
        (folder / "service.json").write_text(json.dumps({"name": "bench", "stopped": True, "arms": {
            "champion": {"version": "1"}, "challenger": {"version": "2"}}}))
        session.start_dir = root
        slo = ["p95_latency < 200 ms", "error_rate < 1%", "accuracy >= 0.85"]
        try:
            mj.monitor("bench", window="5min")  # warm imports
            _PART_CACHE.clear()
            (first, first_cpu), _ = _timed(lambda: mj.monitor("bench", window="5min", slo=slo))
            (elapsed, cpu), rep = _timed(lambda: mj.monitor("bench", window="5min", slo=slo))
        finally:
            session.start_dir = None
    ok = elapsed <= 1.0
    print(f"monitor over {n:,} logged requests ({len(fb):,} labelled, {len(rep.windows)} window×arm rows): "
          f"first read {first:.2f} s (CPU {first_cpu:.2f} s), refresh {elapsed:.2f} s (CPU {cpu:.2f} s) "
          f"(target ≤ 1 s: {'ok' if ok else 'MISSED'})")
    return ok


def _timed(fn: Any) -> tuple[tuple[float, float], Any]:
    """(wall s, CPU s of this process) of one call, and its result."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - t, time.process_time() - c), out


def _cpu_s(pgid: int | None) -> float:
    from mlops_jupyter.serving.processes import group_cpu_seconds

    return group_cpu_seconds(pgid)


def main() -> int:
    ok = bench_monitor()
    ok = bench_gateway() and ok
    return 0 if ok else 1


def bench_gateway(n: int = 500, concurrency: int = 8) -> bool:
    import httpx
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    import mlops_jupyter as mj
    from mlops_jupyter.session import session

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".mlops").mkdir()
        uri = f"sqlite:///{root / '.mlops' / 'mlflow.db'}"
        x, y = load_breast_cancer(return_X_y=True, as_frame=True)
        x = x.iloc[:, :4].set_axis(["f0", "f1", "f2", "f3"], axis=1)
        model = LogisticRegression(max_iter=500).fit(x, y)
        saved = os.environ.get("MLFLOW_TRACKING_URI")
        mlflow.set_tracking_uri(uri)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mlflow.start_run() as run:
                mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)),
                                         pip_requirements=["scikit-learn"])
            mlflow.register_model(f"runs:/{run.info.run_id}/model", "bench")
        if saved is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        session.start_dir = root
        try:
            with mj.serve("models:/bench/1", name="bench") as svc:
                direct = f"http://127.0.0.1:{svc.arms['champion'].port}"
                body = {"dataframe_records": x.iloc[:1].to_dict(orient="records")}
                lat: dict[str, list[float]] = {"direct": [], "gateway": []}
                with httpx.Client() as c:
                    for base in (direct, svc.url) * 20:  # warm both paths
                        c.post(base + "/invocations", json=body)
                    for _ in range(n):  # interleaved: the same machine load for both
                        for name, base in (("direct", direct), ("gateway", svc.url)):
                            t = time.perf_counter()
                            c.post(base + "/invocations", json=body)
                            lat[name].append(time.perf_counter() - t)
                rates, cpu_ms = {}, {}
                pids = {"gateway": svc.procs["gateway"].pid, "scoring": svc.procs["champion"].pid}
                for name, base in (("direct", direct), ("gateway", svc.url)):
                    before = {k: _cpu_s(pid) for k, pid in pids.items()}
                    rates[name] = _throughput(base, body, n, concurrency)
                    cpu_ms[name] = {k: (_cpu_s(pid) - before[k]) / n * 1000 for k, pid in pids.items()}
        finally:
            session.start_dir = None
    p50 = {k: float(np.median(v)) * 1000 for k, v in lat.items()}
    added = p50["gateway"] - p50["direct"]
    ratio = rates["gateway"] / rates["direct"]
    print(f"p50 direct {p50['direct']:.2f} ms, via gateway {p50['gateway']:.2f} ms: added {added:.2f} ms "
          f"(target ≤ 2 ms: {'ok' if added <= 2 else 'MISSED'})")
    print(f"throughput at concurrency {concurrency}: direct {rates['direct']:.0f}/s, gateway {rates['gateway']:.0f}/s: "
          f"{ratio:.0%} of direct (target ≥ 90 %: {'ok' if ratio >= 0.9 else 'MISSED'})")
    print(f"server CPU per request at concurrency {concurrency}: direct: scoring {cpu_ms['direct']['scoring']:.2f} ms; "
          f"via gateway: scoring {cpu_ms['gateway']['scoring']:.2f} ms + gateway {cpu_ms['gateway']['gateway']:.2f} ms")
    return added <= 2 and ratio >= 0.9


def _throughput(base: str, body: dict[str, Any], n: int, concurrency: int) -> float:
    import httpx

    async def run() -> float:
        sem = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as c:
            async def one() -> None:
                async with sem:
                    await c.post(base + "/invocations", json=body)

            t = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return n / (time.perf_counter() - t)

    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
