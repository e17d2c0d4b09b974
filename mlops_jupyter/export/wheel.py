"""The tool travels with the job: the exact mlops_jupyter that exported it.

Installed from an index (a plain ``pip install mlops_jupyter``): the lock pins its version.
Otherwise (an editable install, a checkout on ``PYTHONPATH``, a local wheel) export writes
a wheel of the *running* package into the job folder. The wheel is built here, in-process,
from the imported package's files (a few hundred ms): no build backend, no network and no
JupyterLab extension build (the hatch hook takes about a minute, and a CI job runs no side
panel). Its version is the package version plus a local label from the content digest,
``0.1.0+sha.1a2b3c4d5e6f``, so the lock pins exactly this build; its sha256 is in
``job.yaml``. ``mlops-jupyter run`` compares the running package's content digest with
the spec's before anything else (:func:`check_tool`).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from ..errors import JobError

DIST = "mlops_jupyter"
_EXCLUDED_DIRS = {"__pycache__", "labextension", "node_modules"}
_EPOCH = (1980, 1, 1, 0, 0, 0)


def package_dir() -> Path:
    """The folder of the mlops_jupyter package this process imported (this module's grandparent)."""
    return Path(__file__).resolve().parents[1]


def package_files(folder: Path | None = None) -> list[Path]:
    """Files of the package that a job needs (no bytecode, no built side panel), sorted."""
    base = folder or package_dir()
    out = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if not path.is_file() or any(part in _EXCLUDED_DIRS for part in rel.parts[:-1]):
            continue
        if path.suffix in (".pyc", ".pyo") or path.name.startswith("."):
            continue
        out.append(path)
    return out


def content_digest(folder: Path | None = None) -> str:
    """sha256 over the package's file names and contents: the identity of a build."""
    base = folder or package_dir()
    h = hashlib.sha256()
    for path in package_files(base):
        h.update(path.relative_to(base).as_posix().encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + h.hexdigest()


def _dist() -> md.Distribution | None:
    try:
        return md.distribution(DIST)
    except md.PackageNotFoundError:
        return None


def base_version() -> str:
    """The release part of the installed version (any local label dropped)."""
    dist = _dist()
    version = dist.version if dist is not None else "0"
    return version.split("+", 1)[0]


def running_version(digest: str | None = None) -> str:
    """``<release>+sha.<12 hex>`` of the running package."""
    digest = digest or content_digest()
    return f"{base_version()}+sha.{digest.split(':', 1)[1][:12]}"


def from_index() -> bool:
    """True when the running package is a regular install from a package index: the
    imported files belong to the installed distribution, which has no direct URL."""
    dist = _dist()
    if dist is None or dist.read_text("direct_url.json"):
        return False
    if "+" in dist.version:
        return False  # a local build (ours: +sha.…) is on no index
    files = dist.files or []
    init = next((f for f in files if str(f).replace("\\", "/") == f"{DIST}/__init__.py"), None)
    return init is not None and Path(str(dist.locate_file(init))).resolve() == package_dir() / "__init__.py"


def _project_table() -> dict[str, Any]:
    import tomllib

    pyproject = package_dir().parent / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    project = data.get("project", {})
    return project if project.get("name") in (DIST, "mlops-jupyter") else {}


def _metadata(version: str) -> str:
    project = _project_table()
    dist = _dist()
    if project:
        summary = str(project.get("description", ""))
        requires_python = str(project.get("requires-python", ">=3.11"))
        requires = list(project.get("dependencies", []))
    else:
        summary = (dist.metadata["Summary"] if dist is not None else "") or ""
        requires_python = (dist.metadata["Requires-Python"] if dist is not None else "") or ">=3.11"
        requires = [r for r in (dist.requires or []) if "extra ==" not in r] if dist is not None else []
    lines = ["Metadata-Version: 2.1", f"Name: {DIST}", f"Version: {version}", f"Summary: {summary}",
             f"Requires-Python: {requires_python}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


def _entry_points() -> str:
    project = _project_table()
    groups: dict[str, dict[str, str]] = {}
    if project:
        if project.get("scripts"):
            groups["console_scripts"] = dict(project["scripts"])
        for group, items in project.get("entry-points", {}).items():
            groups[group] = dict(items)
    else:
        dist = _dist()
        for ep in (dist.entry_points if dist is not None else []):
            groups.setdefault(ep.group, {})[ep.name] = ep.value
    out = []
    for group, items in groups.items():
        out.append(f"[{group}]")
        out += [f"{k} = {v}" for k, v in items.items()]
        out.append("")
    return "\n".join(out)


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def build_wheel() -> tuple[str, bytes, str]:
    """(file name, wheel bytes, version) of the running package; deterministic."""
    base = package_dir()
    digest = content_digest(base)
    version = running_version(digest)
    info = f"{DIST}-{version}.dist-info"
    entries: list[tuple[str, bytes]] = [
        (f"{DIST}/{p.relative_to(base).as_posix()}", p.read_bytes()) for p in package_files(base)
    ]
    entries += [
        (f"{info}/METADATA", _metadata(version).encode("utf-8")),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: mlops_jupyter.export.wheel\n"
                          b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{info}/entry_points.txt", _entry_points().encode("utf-8")),
        (f"{info}/mlops_build.json", json.dumps({"digest": digest}).encode("utf-8")),
    ]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{info}/RECORD,,\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [*entries, (f"{info}/RECORD", record.encode("utf-8"))]:
            zi = zipfile.ZipInfo(name, date_time=_EPOCH)
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return f"{DIST}-{version}-py3-none-any.whl", buf.getvalue(), version


def tool_for_job() -> tuple[dict[str, Any], list[str], dict[str, bytes]]:
    """(spec ``tool`` entry, lock lines that install it, files for the job folder)."""
    digest = content_digest()
    if from_index():
        version = md.version(DIST)
        return ({"name": DIST, "version": version, "digest": digest, "source": "index"},
                [f"{DIST}=={version}"], {})
    fname, data, version = build_wheel()
    sha = "sha256:" + hashlib.sha256(data).hexdigest()
    spec = {"name": DIST, "version": version, "digest": digest, "source": "wheel", "wheel": fname,
            "wheel_sha256": sha}
    # pip resolves a relative --find-links against the requirements file's folder: the job's
    lines = ["# mlops_jupyter as it exported this job: the wheel next to this file", "--find-links .",
             f"{DIST}=={version}"]
    return spec, lines, {fname: data}


def check_tool(spec: dict[str, Any], job_dir: Path) -> None:
    """Refuse to run a job with another mlops_jupyter than the one that exported it."""
    tool = spec.get("tool")
    if not tool:
        return  # exported before the tool travelled with the job
    lock = job_dir / str(spec.get("environment", {}).get("lockfile", "requirements.lock"))
    hint = f"python -m pip install --no-deps -r {lock}"
    if tool.get("wheel"):
        wheel = job_dir / tool["wheel"]
        if not wheel.is_file():
            raise JobError(f"the job's mlops_jupyter wheel {tool['wheel']} is missing from {job_dir}",
                           hint="export the notebook again")
        if "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest() != tool.get("wheel_sha256"):
            raise JobError(f"{tool['wheel']} does not match the sha256 in job.yaml",
                           hint="the job folder was edited after export: export the notebook again")
    digest = content_digest()
    if digest != tool["digest"]:
        raise JobError(f"this job was exported with mlops_jupyter {tool['version']}; "
                       f"this is mlops_jupyter {running_version(digest)}", hint=hint)
