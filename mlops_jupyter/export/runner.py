"""``run_job`` / ``mlops-jupyter run``: execute an exported job with its checks and gates.

Order: read + validate the spec, check the code digest, resolve parameters (type-checked),
compare the environment with the pinned one, fetch and verify the data, execute
(papermill for notebooks, plain ``python`` for scripts) with ``MLOPS_HEADLESS=1``, tag the
runs it made (job digest, source run), then apply the gates: failing validation/drift
checks recorded during the job, metric thresholds, and expected metrics within
tolerances. Problems found before execution raise (exit 2: usage/environment; a data
integrity failure exits 1); an executed job returns a :class:`JobResult` whose
``exit_code`` is 0 (all passed) or 1 (a cell failed or a gate refused).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._util import atomic_write_text, json_safe
from .._views import Viewable
from ..errors import DataIntegrityError, JobError
from ..session import HEADLESS_VAR
from .ci import OUT_DIR, PARAM_ENV_PREFIX
from .gates import GateResult, check_thresholds, compare_expected, recorded_checks
from .notebook import coerce
from .spec import environment_snapshot, file_digest, load_spec, scoped_session

CHECK_ERRORS = {"ValidationFailed", "DriftDetected", "GateFailed", "CheckFailed", "DataIntegrityError"}


@dataclass(repr=False)
class JobResult(Viewable):
    """Outcome of one job run; ``exit_code`` 0 ok, 1 a cell failed or a gate refused."""

    name: str
    job_dir: Path
    digest: str
    params: dict[str, Any]
    profile: str
    exit_code: int = 0
    error: str | None = None
    env_diff: list[dict[str, Any]] = field(default_factory=list)
    data: list[dict[str, Any]] = field(default_factory=list)
    gates: list[GateResult] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    executed: Path | None = None
    report_path: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = json_safe({
            "name": self.name, "job_dir": str(self.job_dir), "digest": self.digest,
            "params": self.params, "profile": self.profile, "ok": self.ok,
            "exit_code": self.exit_code, "error": self.error, "env_diff": self.env_diff,
            "data": self.data, "gates": [g.to_dict() for g in self.gates],
            "run_ids": self.run_ids, "metrics": self.metrics, "expected": self.expected,
            "executed": str(self.executed) if self.executed else None,
            "seconds": round(self.seconds, 2),
        })
        return out


# -- parameters ------------------------------------------------------------------------
def resolve_params(spec: dict[str, Any], overrides: dict[str, Any] | None, from_env: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(all parameter values, the overrides actually given), type-checked."""
    declared: dict[str, Any] = spec["parameters"]
    given: dict[str, Any] = {}
    if from_env:
        for pname in declared:
            raw = os.environ.get(PARAM_ENV_PREFIX + pname)
            if raw not in (None, ""):
                given[pname] = raw
    given.update(overrides or {})
    values = {k: v["default"] for k, v in declared.items()}
    for pname, value in given.items():
        if pname not in declared:
            known = ", ".join(declared) or "none"
            raise JobError(f"unknown parameter '{pname}'", hint=f"parameters of this job: {known}")
        try:
            values[pname] = coerce(pname, declared[pname]["type"], value)
        except ValueError as exc:
            raise JobError(str(exc), hint="see the parameter types in job.yaml") from None
    return values, {k: values[k] for k in given}


# -- environment -----------------------------------------------------------------------
def environment_diff(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Packages (and Python) that differ from the pinned environment."""
    pinned = spec["environment"]
    here = environment_snapshot()
    diff: list[dict[str, Any]] = []
    if pinned["python"].split(".")[:2] != here["python"].split(".")[:2]:
        diff.append({"package": "python", "pinned": pinned["python"], "installed": here["python"]})
    for pkg, version in pinned["packages"].items():
        have = here["packages"].get(pkg)
        if have != version:
            diff.append({"package": pkg, "pinned": version, "installed": have})
    return diff


# -- data ------------------------------------------------------------------------------
def _md5(path: Path) -> str:
    h = hashlib.md5()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dvc() -> str:
    exe = Path(sys.executable).with_name("dvc")
    return str(exe) if exe.exists() else (shutil.which("dvc") or "dvc")


def verify_data(spec: dict[str, Any], root: Path, remote: str | None) -> list[dict[str, Any]]:
    """Fetch missing pinned paths with ``dvc pull`` and verify their md5 (files and folders)."""
    out: list[dict[str, Any]] = []
    for dep in spec["data"]:
        full = root / dep["path"]
        fetched = False
        if not full.exists():
            cmd = [_dvc(), "pull", "-q", dep.get("dvc_file") or dep["path"]]
            if remote:
                cmd += ["-r", remote]
            proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
            fetched = True
            if proc.returncode != 0 or not full.exists():
                raise JobError(
                    f"pinned data {dep['path']} is missing and dvc pull failed",
                    hint=(proc.stderr or proc.stdout).strip().splitlines()[-1][:200] if (proc.stderr or proc.stdout).strip() else "configure the DVC remote",
                )
        md5 = dep["md5"]
        if md5.endswith(".dir"):
            status = _verify_dir(full, dep, root, remote)
        else:
            actual = _md5(full)
            if actual != md5:
                raise DataIntegrityError(
                    f"{dep['path']} does not match its pin: md5 {actual} on disk, {md5} pinned",
                    hint="restore it with dvc checkout / dvc pull, or re-export the job after pinning again",
                )
            status = "verified"
        out.append({"path": dep["path"], "md5": md5, "status": status, "fetched": fetched})
    return out


def _verify_dir(full: Path, dep: dict[str, Any], root: Path, remote: str | None) -> str:
    try:
        from ..data.objects import read_dir_listing
        from ..data.repo import DataRepo
    except ImportError:
        return "folder present (not verified file by file)"
    listing = read_dir_listing(DataRepo.find(root), dep["md5"], dep["path"], remote)
    for rel, m in listing:
        f = full / rel
        if not f.is_file() or _md5(f) != m:
            raise DataIntegrityError(f"{dep['path']}/{rel} does not match its pin",
                                     hint="restore it with dvc checkout / dvc pull")
    return f"verified ({len(listing)} files)"


# -- execution -------------------------------------------------------------------------
@contextlib.contextmanager
def _environ(extra: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


KERNEL_START_ATTEMPTS = 3


def _execute_notebook(code: Path, executed: Path, params: dict[str, Any], kernel: str, cwd: Path,
                      timeout: float | None) -> str | None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    attempts = KERNEL_START_ATTEMPTS
    try:
        while True:
            try:
                papermill.execute_notebook(
                    str(code), str(executed), parameters=params, kernel_name=kernel, cwd=str(cwd),
                    progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                    execution_timeout=timeout,
                    # the job's output is its report, not the kernel's TCP-transport notice
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
                break
            except RuntimeError as exc:
                # jupyter_client picks free TCP ports and another process can take one before
                # the kernel binds it; the kernel then dies before running any cell, so a new
                # start is safe.
                attempts -= 1
                if "Kernel died before replying to kernel_info" not in str(exc) or attempts <= 0:
                    raise
    except PapermillExecutionError as exc:
        return f"cell {exc.exec_count or exc.cell_index}: {exc.ename}: {str(exc.evalue)[:300]}"
    except TimeoutError as exc:
        return f"a cell ran longer than {timeout} s: {str(exc)[:200]}"
    return None


def _execute_script(code: Path, log: Path, params: dict[str, Any], cwd: Path, timeout: float | None) -> str | None:
    pfile = log.with_name("params.json")
    atomic_write_text(pfile, json.dumps(params, allow_nan=True))
    env = dict(os.environ, MLOPS_PARAMS_FILE=str(pfile))
    with log.open("w", encoding="utf-8") as fh:
        try:
            proc = subprocess.run([sys.executable, str(code)], cwd=cwd, env=env, stdout=fh,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"the script ran longer than {timeout} s"
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        return f"script exited {proc.returncode}: {tail[0][:300]}"
    return None


# -- runs and gates --------------------------------------------------------------------
def _job_runs(profile: Any, job_id: str, notebook_tag: str, since_ms: int, tags: dict[str, str],
              prefer_name: str | None = None) -> tuple[list[str], dict[str, float]]:
    """Runs the job made (tagged by MLflow's run context, else by notebook + start time).

    Metrics of all of them, later runs winning, and the run named like the source run
    winning over all (a notebook that makes several runs is compared run for run).
    """
    from ..tracking.store import read_client

    client = read_client(str(profile.tracking_uri))
    if client is None:
        return [], {}
    exp = client.get_experiment_by_name(profile.experiment)
    if exp is None:
        return [], {}
    runs = client.search_runs([exp.experiment_id], filter_string=f"attributes.start_time >= {since_ms}",
                              order_by=["attributes.start_time ASC"], max_results=500)
    keys = ("mlops.notebook.path", "mlops.notebook", "mlflow.source.name")
    mine = [r for r in runs if r.data.tags.get("mlops.job_id") == job_id
            or any(r.data.tags.get(k) == notebook_tag for k in keys)]
    metrics: dict[str, float] = {}
    ids = []
    for run in mine:
        ids.append(run.info.run_id)
        for key, value in tags.items():
            if run.data.tags.get(key) != value:
                client.set_tag(run.info.run_id, key, value)
        metrics.update(run.data.metrics)
    for run in mine:
        if prefer_name and run.info.run_name == prefer_name:
            metrics.update(run.data.metrics)
    return ids, metrics


def run_job(
    job: str | Path,
    params: dict[str, Any] | None = None,
    env: str | None = None,
    *,
    params_from_env: bool = False,
    strict_env: bool = False,
    check_expected: bool | None = None,
    timeout: float | None = None,
    quiet: bool = True,
) -> JobResult:
    """Run the exported job at ``job`` (folder or job.yaml); see the module docstring.

    ``params`` override the defaults (values or text, type-checked against the spec);
    ``env`` picks the environment profile (default: the one exported with the job).
    ``params_from_env`` also reads ``MLOPS_PARAM_<NAME>`` variables (how CI passes them).
    ``strict_env`` turns environment differences into an error (exit 2).
    ``check_expected``: compare with the source run's metrics (default: when no parameter
    was overridden, since other parameters legitimately give other metrics).
    ``timeout``: seconds per notebook cell (whole script in script mode); None = no limit.
    """
    start = time.time()
    spec, job_dir = load_spec(job)
    job_dir = job_dir.resolve()
    from .wheel import check_tool

    check_tool(spec, job_dir)
    code = job_dir / spec["code"]
    if not code.is_file() or file_digest(code.read_bytes()) != spec["code_digest"]:
        raise JobError(f"{code.name} in {job_dir} does not match the job spec's code digest",
                       hint="the job folder was edited after export: export the notebook again")
    values, given = resolve_params(spec, params, params_from_env)
    root = _project_root(job_dir, spec)
    profile_name = env or os.environ.get("MLOPS_ENV") or spec["profile"]
    with scoped_session(root, profile_name) as profile:
        return _run(spec, job_dir, code, root, profile, values, given, start,
                    strict_env=strict_env, check_expected=check_expected, timeout=timeout, quiet=quiet)


def _run(spec: dict[str, Any], job_dir: Path, code: Path, root: Path, profile: Any, values: dict[str, Any],
         given: dict[str, Any], start: float, *, strict_env: bool, check_expected: bool | None,
         timeout: float | None, quiet: bool) -> JobResult:
    result = JobResult(name=spec["name"], job_dir=job_dir, digest=spec["digest"], params=values,
                       profile=profile.name, expected=spec["expected_metrics"])
    result.env_diff = environment_diff(spec)
    if result.env_diff and strict_env:
        first = result.env_diff[0]
        raise JobError(f"environment differs from the pinned one in {len(result.env_diff)} package(s), "
                       f"e.g. {first['package']} {first['installed']} (pinned {first['pinned']})",
                       hint=f"pip install -r {job_dir / spec['environment'].get('lockfile', 'requirements.lock')}")
    result.data = verify_data(spec, root, profile.dvc_remote)

    out_dir = job_dir / OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    job_id = uuid.uuid4().hex
    executed = out_dir / ("executed.ipynb" if spec["mode"] == "notebook" else "output.log")
    tags = {"mlops.job_id": job_id, "mlops.job_digest": spec["digest"], "mlops.job_name": spec["name"],
            "mlops.source_run_id": spec["source"].get("run_id") or ""}
    child_env = {
        HEADLESS_VAR: "1",
        "MLOPS_ENV": profile.name,
        "MLFLOW_RUN_CONTEXT": json.dumps(tags),
        "MLOPS_JOB_ID": job_id,
        "MLOPS_JOB_DIGEST": spec["digest"],
        "JPY_SESSION_NAME": str(executed if spec["mode"] == "notebook" else code),
    }
    since_ms = int(time.time() * 1000) - 1000
    since = time.time() - 1
    cwd = (root / spec["source"]["notebook"]).parent
    cwd = cwd if cwd.is_dir() else root
    stage = _test_stage(spec, code, values, out_dir, timeout, cwd)
    if stage is not None and not stage.ok:  # failing tests: the job does not train
        result.error = f"notebook tests failed: {stage.detail()}"[:1000]
        result.gates.append(GateResult("tests", spec["code"], False, stage.detail()[:1000]))
        result.exit_code = 1
        return _finish(result, out_dir, start, quiet)
    if stage is not None:
        result.gates.append(GateResult("tests", spec["code"], True, stage.detail()[:1000]))
    with _environ(child_env):
        if spec["mode"] == "notebook":
            error = _execute_notebook(code, executed, values, spec.get("kernel", "python3"), cwd, timeout)
        else:
            error = _execute_script(code, executed, values, cwd, timeout)
    result.executed = executed
    result.gates.append(GateResult("execution", spec["code"], error is None, error or "ran to the end"))
    if error:
        result.error = error
    try:
        result.run_ids, result.metrics = _job_runs(profile, job_id, child_env["JPY_SESSION_NAME"], since_ms, tags,
                                                   spec["source"].get("run_name"))
    except Exception as exc:  # the store is reported, not fatal for the job's own verdict
        result.gates.append(GateResult("tracking", "job runs", False, f"cannot read runs: {type(exc).__name__}: {exc}"[:300]))
    if stage is not None and result.run_ids:
        try:
            from ..testing.jobstage import log_on_runs

            log_on_runs(stage, result.run_ids, str(profile.tracking_uri))
        except Exception as exc:  # reported like the other tracking problems
            result.gates.append(GateResult("tracking", "test results", False, f"{type(exc).__name__}: {exc}"[:300]))
    result.gates += recorded_checks(since)
    if error is None:
        result.gates += check_thresholds(spec["gates"].get("metrics", []), result.metrics)
        if check_expected if check_expected is not None else not given:
            result.gates += compare_expected(spec["expected_metrics"], result.metrics)
    result.exit_code = 0 if all(g.ok for g in result.gates if g.enforced) else 1
    return _finish(result, out_dir, start, quiet)


def _finish(result: JobResult, out_dir: Path, start: float, quiet: bool) -> JobResult:
    """Time the run, write ``out/report.json`` and, on GitHub Actions, the run page's summary."""
    result.seconds = time.time() - start
    result.report_path = out_dir / "report.json"
    atomic_write_text(result.report_path, json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(result._view("markdown"))
        except OSError as exc:  # the summary is a courtesy: the job's verdict stands
            print(f"warning: cannot write the job summary to {summary}: {exc}", file=sys.stderr)
    if not quiet:
        print(result)
    return result


def _test_stage(spec: dict[str, Any], code: Path, values: dict[str, Any], out_dir: Path,
                timeout: float | None, cwd: Path) -> Any:
    """The notebook's own tests, run before it trains (see ``testing/jobstage.py``)."""
    if spec["mode"] != "notebook" or os.environ.get("MLOPS_SKIP_TESTS") == "1":
        return None
    from ..testing.jobstage import run_test_stage

    return run_test_stage(code, values, out_dir, spec.get("kernel", "python3"), timeout, cwd)


def _project_root(job_dir: Path, spec: dict[str, Any]) -> Path:
    """The project root, recorded relative to the job folder at export."""
    root: Path = (job_dir / spec.get("root", ".")).resolve()
    if not root.is_dir():
        raise JobError(f"the project root {root} of this job does not exist",
                       hint="keep the job folder where it was exported, inside its project")
    return root
