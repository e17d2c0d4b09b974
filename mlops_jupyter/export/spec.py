"""The job spec (``job.yaml``): building it from a notebook, validating it, digests.

The spec is plain data (dicts/lists/scalars) validated against ``job.schema.json``
shipped in this package. YAML is always written by ``_util.dump_yaml`` (``yaml.safe_dump``
with stricter quoting, never text templates): ``on`` stays a string key, newlines and
quotes in values are escaped, strings that a YAML 1.1 *or* 1.2 reader would take for a
number, bool, date or null (``1e3``, ``0o17``, ``yes``, ``2026-11-29``) are quoted, and
both kinds of reader give back exactly what was written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._views import Viewable
from ..errors import JobError
from .notebook import NotebookInfo, _source

SCHEMA_FILE = Path(__file__).with_name("job.schema.json")
SPEC_FILE = "job.yaml"
LOCK_FILE = "requirements.lock"
DEFAULT_REL_TOL = 1e-3
DEFAULT_ABS_TOL = 1e-9
OPS = (">=", "<=", "==", ">", "<")
_THRESHOLD = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+0-9.eEinfINFa]+)\s*$")


def job_name(stem: str) -> str:
    """A safe job/folder name from a notebook name: ``[A-Za-z0-9_.-]``, no leading dot."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._-")
    return (name or "job")[:100]


def parse_threshold(metric: str, rule: Any) -> dict[str, Any]:
    """``">= 0.9"`` (or a bare number, meaning ``>=``) as a metric gate."""
    if isinstance(rule, (int, float)) and not isinstance(rule, bool):
        return {"metric": metric, "op": ">=", "value": float(rule)}
    match = _THRESHOLD.match(str(rule))
    if not match:
        raise JobError(
            f"metric gate for '{metric}' is not 'OP NUMBER': {rule!r}",
            hint="write e.g. \">= 0.9\" or \"< 0.2\"",
        )
    return {"metric": metric, "op": match.group(1), "value": float(match.group(2))}


def environment_snapshot() -> dict[str, Any]:
    """Python version and exact versions of every installed distribution (this process).

    Read from the ``*.dist-info`` folder names on ``sys.path`` (first one wins, as for
    imports): parsing every METADATA file costs seconds with hundreds of packages.
    """
    packages: dict[str, str] = {}
    local: list[str] = []
    for entry in sys.path:
        folder = Path(entry or ".")
        try:
            children = sorted(os.listdir(folder)) if folder.is_dir() else []
        except OSError:
            continue
        for child in children:
            if not child.endswith(".dist-info"):
                continue
            name, sep, version = child[: -len(".dist-info")].partition("-")
            canon = _canonical(name)
            if not sep or canon in packages:
                continue
            packages[canon] = version
            direct = folder / child / "direct_url.json"
            if direct.is_file():
                text = direct.read_text(encoding="utf-8", errors="replace")
                if '"editable": true' in text or '"url": "file:' in text:
                    local.append(canon)
    return {
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": dict(sorted(packages.items())),
        "lockfile": LOCK_FILE,
        **({"local": sorted(set(local))} if local else {}),
    }


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def git_info(path: Path) -> dict[str, Any] | None:
    """Commit, branch and dirtiness of ``path`` in its git repository (None outside git)."""
    folder = path.parent if path.suffix else path

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--", path.name) if path.suffix else ""
    return {"commit": commit, "branch": git("rev-parse", "--abbrev-ref", "HEAD"), "dirty": bool(status)}


def data_dependencies(root: Path, text: str, rev: str | None) -> list[dict[str, Any]]:
    """DVC-tracked paths the notebook mentions: path, md5, .dvc file, git revision."""
    import yaml

    deps: list[dict[str, Any]] = []
    skip = {".git", ".dvc", ".mlops", "node_modules", "jobs", "__pycache__"}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".venv")]
        for fname in files:
            if not fname.endswith(".dvc"):
                continue
            dvc_file = Path(folder) / fname
            try:
                meta = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                continue
            for out in meta.get("outs", []) or []:
                if not isinstance(out, dict) or "path" not in out or "md5" not in out:
                    continue
                full = (dvc_file.parent / str(out["path"])).resolve()
                try:
                    rel = full.relative_to(root.resolve()).as_posix()
                except ValueError:
                    continue
                if rel not in text and Path(rel).name not in text:
                    continue
                deps.append({
                    "path": rel,
                    "md5": str(out["md5"]),
                    "dvc_file": dvc_file.relative_to(root).as_posix(),
                    "rev": rev,
                    "size": out.get("size"),
                })
    return sorted(deps, key=lambda d: d["path"])


def detect_gates(info: NotebookInfo) -> dict[str, list[dict[str, Any]]]:
    """Validation and drift checks the notebook runs (they fail the job when they fail)."""
    validation: list[dict[str, Any]] = []
    drift: list[dict[str, Any]] = []
    for i, cell in info.code_cells:
        for line in _source(cell).splitlines():
            stripped = line.strip()
            if re.match(r"^%{1,2}validate\b", stripped) or re.search(r"\bmj\.validate\(", stripped):
                suite = re.search(r"--suite[ =]+([\w.-]+)|suite\s*=\s*['\"]([\w.-]+)['\"]", stripped)
                name = (suite.group(1) or suite.group(2)) if suite else None
                validation.append({"cell": i, "suite": name, "call": stripped[:200]})
            elif re.match(r"^%drift\b", stripped) or re.search(r"\bmj\.drift\(", stripped):
                drift.append({"cell": i, "call": stripped[:200]})
    return {"validation": validation, "drift": drift}


NOTEBOOK_TAGS = ("mlops.notebook.path", "mlops.notebook", "mlflow.source.name")


def same_notebook(value: str, absolute: str, rel: str) -> bool:
    """Does a run's notebook tag name this notebook? Absolute paths must match exactly;
    relative ones (as a Jupyter server names them) must end with the project-relative path."""
    if value.startswith("/"):
        return value == absolute
    return value == rel or value.endswith("/" + rel)


def find_source_run(profile: Any, notebook: Path, rel: str) -> tuple[str | None, str | None, dict[str, float]]:
    """The newest finished run of ``notebook`` in the profile's store: id, name, metrics.

    Looks only when the store exists (an absent SQLite file means no runs, and not
    importing mlflow keeps export fast).
    """
    from ..tracking.store import read_client

    try:
        client = read_client(str(profile.tracking_uri))
        if client is None:
            return None, None, {}
        exp = client.get_experiment_by_name(profile.experiment)
        if exp is None:
            return None, None, {}
        runs = client.search_runs(
            [exp.experiment_id], filter_string="attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"], max_results=200,
        )
    except Exception:
        return None, None, {}
    for run in runs:
        tags = run.data.tags
        if tags.get("mlops.job_id"):
            continue  # runs made by jobs are not the notebook's own source run
        absolute = str(notebook.resolve())
        if any(same_notebook(str(tags[k]), absolute, rel) for k in NOTEBOOK_TAGS if k in tags):
            return run.info.run_id, run.info.run_name, dict(run.data.metrics)
    return None, None, {}


def run_metrics(profile: Any, run_id: str) -> tuple[str | None, dict[str, float]]:
    """Name and metrics of one run (for an explicitly named source run)."""
    from ..tracking.store import read_client

    try:
        client = read_client(str(profile.tracking_uri))
        if client is None:
            raise JobError(f"cannot read source run {run_id}: the tracking store is empty")
        run = client.get_run(run_id)
        return run.info.run_name, dict(run.data.metrics)
    except JobError:
        raise
    except Exception as exc:
        raise JobError(f"cannot read source run {run_id}: {type(exc).__name__}") from None


def spec_digest(spec: dict[str, Any]) -> str:
    """sha256 of the spec without its digest and export time (code digest included)."""
    body = {k: v for k, v in spec.items() if k != "digest"}
    body["source"] = {k: v for k, v in body.get("source", {}).items() if k != "exported_at"}
    text = json.dumps(body, sort_keys=True, default=str, allow_nan=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def scoped_session(start: Path, profile: str | None = None) -> Iterator[Any]:
    """Use the project at ``start`` (and ``profile``) for a block; restore the session after.

    Export and run must not switch an interactive kernel's project or profile for good.
    """
    from ..session import session

    saved = (session.start_dir, session.env_override)
    session.start_dir = start
    try:
        yield session.use_env(profile) if profile else session.profile()
    finally:
        session.start_dir, session.env_override = saved


_VALIDATOR: Any = None


def _import_jsonschema() -> Any:
    """Import jsonschema without its optional IRI checker (rfc3987_syntax builds a parser at
    import: seconds on a loaded machine). Our schema uses no formats; the module is
    importable again afterwards for anyone who wants it."""
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema
    finally:
        if blocked:
            del sys.modules["rfc3987_syntax"]
    return jsonschema


def validate_spec(spec: dict[str, Any], where: str = SPEC_FILE) -> None:
    """Validate against the shipped JSON Schema; the first error becomes a JobError."""
    global _VALIDATOR
    if _VALIDATOR is None:
        jsonschema = _import_jsonschema()

        schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    errors = sorted(_VALIDATOR.iter_errors(spec), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        at = "/".join(str(p) for p in err.absolute_path) or "(top)"
        raise JobError(f"{where} is not a valid job spec: at {at}: {err.message[:200]}",
                       hint="re-export the notebook, or fix the file by hand (see docs/export.md)")


def dump_yaml(obj: Any) -> str:
    """YAML text that ``safe_load`` (YAML 1.1) and YAML 1.2 readers turn back into ``obj``
    exactly: the one writer of :mod:`mlops_jupyter._util`."""
    from .._util import dump_yaml as write

    return write(obj)


def load_spec(job: Path | str) -> tuple[dict[str, Any], Path]:
    """Read and validate ``job.yaml`` (path to the file or its folder)."""
    import yaml

    path = Path(job)
    if path.is_dir():
        path = path / SPEC_FILE
    if not path.is_file():
        raise JobError(f"no job spec at {path}", hint="export a notebook first: mlops-jupyter export NB")
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise JobError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(spec, dict):
        raise JobError(f"{path} is not a job spec (expected a mapping)")
    validate_spec(spec, str(path))
    return spec, path.parent


@dataclass(repr=False)
class ExportResult(Viewable):
    """What ``export_notebook`` wrote: the job folder, its spec and the files in it."""

    job_dir: Path
    spec: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # name -> short description
    notes: list[str] = field(default_factory=list)
    rehearsal: Any = None
    warnings: list[str] = field(default_factory=list)  # what will break or weaken the job on a runner

    @property
    def ok(self) -> bool:
        return self.rehearsal is None or bool(self.rehearsal.ok)

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def digest(self) -> str:
        return str(self.spec["digest"])

    def to_dict(self) -> dict[str, Any]:
        from .._util import json_safe

        return json_safe({
            "job_dir": str(self.job_dir),
            "name": self.name,
            "digest": self.digest,
            "mode": self.spec["mode"],
            "files": self.files,
            "parameters": self.spec["parameters"],
            "notes": self.notes,
            "warnings": self.warnings,
            "rehearsal": self.rehearsal.to_dict() if self.rehearsal is not None else None,
        })

