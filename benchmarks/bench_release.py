"""Release gate benchmarks: the A/B statistics against their lower bounds and naive versions.

* paired bootstrap on a per-row metric (vectorised index matrix) vs the per-resample loop
  a generic metric needs, and vs the lower bound of one numpy pass per resample;
* vectorised McNemar p-values (used by the error-rate simulations) vs one
  ``scipy.stats.binomtest`` call per comparison;
* the overhead of ``promote`` (gates + record + alias) over a bare MLflow alias move, on a
  SQLite registry.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from typing import Any

import numpy as np


def _best(fn: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_bootstrap(n: int = 20_000, n_boot: int = 2000) -> None:
    from mlops_jupyter.release.abtest import bootstrap_improvements
    from mlops_jupyter.release.metrics import METRICS

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    a = np.where(rng.random(n) < 0.9, y, 1 - y)
    z = np.where(rng.random(n) < 0.91, y, 1 - y)
    acc = METRICS["accuracy"]
    fast = _best(lambda: bootstrap_improvements(y, a, z, acc.fn, per_row=acc.per_row, n_boot=n_boot))
    slow = _best(lambda: bootstrap_improvements(y, a, z, acc.fn, n_boot=n_boot), repeat=1)
    diff = (z == y).astype(float) - (a == y).astype(float)
    idx_cost = _best(lambda: [diff[np.random.default_rng(1).integers(0, n, n)].mean() for _ in range(n_boot)], repeat=1)
    print(f"paired bootstrap, n={n}, B={n_boot}: vectorised {fast:.3f} s, per-resample loop {slow:.3f} s "
          f"-> {slow / fast:.1f}x faster; lower bound (one gather+mean per resample) {idx_cost:.3f} s "
          f"-> ratio {fast / idx_cost:.2f}")


def bench_mcnemar(sims: int = 100_000) -> None:
    from scipy.stats import binomtest

    from mlops_jupyter.release.abtest import mcnemar_pvalues

    rng = np.random.default_rng(0)
    counts = rng.multinomial(500, [0.8, 0.07, 0.07, 0.06], size=sims)
    b, c = counts[:, 1], counts[:, 2]
    vec = _best(lambda: mcnemar_pvalues(b, c, 500))
    k = 2000
    loop = _best(lambda: [binomtest(int(ci), int(bi + ci), 0.5, alternative="greater").pvalue
                          for bi, ci in zip(b[:k], c[:k], strict=True)], repeat=1) * sims / k
    ref = np.array([binomtest(int(ci), int(bi + ci), 0.5, alternative="greater").pvalue
                    for bi, ci in zip(b[:200], c[:200], strict=True)])
    assert np.allclose(ref, mcnemar_pvalues(b[:200], c[:200], 500))
    print(f"McNemar p-values for {sims} comparisons: vectorised {vec:.3f} s, binomtest loop ~{loop:.1f} s "
          f"-> {loop / vec:.0f}x faster (same values)")


def bench_promote() -> None:
    import mlflow
    from mlflow import MlflowClient
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import mlops_jupyter as mj
    from mlops_jupyter.session import session

    with tempfile.TemporaryDirectory() as tmp:
        uri = f"sqlite:///{tmp}/mlflow.db"
        os.environ["MLFLOW_TRACKING_URI"] = uri
        old_cwd = os.getcwd()
        os.chdir(tmp)
        session.reset()
        try:
            df = load_breast_cancer(as_frame=True).frame
            x, y = df.drop(columns="target"), df["target"]
            mlflow.set_tracking_uri(uri)
            runs = []
            for c in (0.01, 1.0):
                m = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500)).fit(x, y)
                with warnings.catch_warnings(), mlflow.start_run() as run:
                    warnings.simplefilter("ignore")
                    mlflow.sklearn.log_model(m, name="model", pip_requirements=["scikit-learn"])
                runs.append(run.info.run_id)
            mj.promote("bench", runs[0], eval_data=df, target="target", ab=True)
            start = time.perf_counter()
            mj.promote("bench", runs[1], eval_data=df, target="target", ab=True,
                       metrics={"accuracy": {"min": 0.5, "min_delta": 0}})
            gate = time.perf_counter() - start
            client = MlflowClient(uri)
            bare = _best(lambda: client.set_registered_model_alias("bench", "other", "1"))
            print(f"promote (2 models loaded, metrics + McNemar, record run + tags, alias): {gate:.2f} s; "
                  f"bare alias move {bare * 1000:.0f} ms -> ratio {gate / bare:.0f}x (model loading dominates)")
        finally:
            os.chdir(old_cwd)
            os.environ.pop("MLFLOW_TRACKING_URI", None)
            session.reset()


def main() -> int:
    bench_bootstrap()
    bench_mcnemar()
    bench_promote()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
