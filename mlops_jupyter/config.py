"""Project configuration as code, and environment profiles.

One file configures the kernel, the server, the CLI and exported jobs: ``mlops.toml``, or
``[tool.mlops_jupyter]`` in ``pyproject.toml``, found by walking up from the notebook's
folder. Environment variables override the file (``MLOPS_ENV``, ``MLFLOW_TRACKING_URI``).
With no file at all the embedded default applies: one ``dev`` profile tracking to SQLite
under ``.mlops/`` in the project root.

Resolution order for the active profile: ``%mlops_env NAME`` / :func:`use_env` in this
session, then ``MLOPS_ENV``, then ``default_env`` from the file, then ``dev``.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, UnknownEnvironment

CONFIG_FILE = "mlops.toml"
STATE_DIR = ".mlops"


def ensure_state_dir(path: Path) -> Path:
    """``path`` created, holding a ``.gitignore`` that ignores everything in it (kept if present)."""
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        # a read-only project still works; git status just shows the folder
        with contextlib.suppress(OSError):
            ignore.write_text("# machine state of mlops_jupyter (stores, spools, caches): never commit\n*\n", encoding="utf-8")
    return path
READ_ONLY = "read-only"
READ_WRITE = "read-write"

# Keys at the top level of the config. Tables owned by a topic (validation, drift, ...)
# are checked by that topic with check_keys() when it reads its section.
TOP_LEVEL_KEYS = {
    "experiment": str,
    "default_env": str,
    "suites_dir": str,
    "env": dict,
    "data": dict,
    "validation": dict,
    "drift": dict,
    "release": dict,
    "export": dict,
    "tracking": dict,
    "webhook": dict,
}
PROFILE_KEYS = {
    "tracking_uri": str,
    "registry_uri": str,
    "experiment": str,
    "dvc_remote": str,
    "interactive": str,
    "ui_url": str,
    "description": str,
}


def check_keys(where: str, data: dict[str, Any], allowed: dict[str, Any] | set[str]) -> None:
    """Refuse unknown keys in a config table, naming the key and the closest valid one."""
    for key, value in data.items():
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(sorted(allowed))}"
            raise ConfigError(f"unknown key '{key}' in {where}", hint=hint)
        if isinstance(allowed, dict):
            expected = allowed[key]
            if expected is not Any and not isinstance(value, expected):
                raise ConfigError(
                    f"'{key}' in {where} must be {expected.__name__}, got {type(value).__name__}"
                )


@dataclass(frozen=True)
class Profile:
    """One environment profile, fully resolved (file + environment variables + defaults)."""

    name: str
    tracking_uri: str
    experiment: str
    dvc_remote: str | None = None
    interactive: str = READ_WRITE
    registry_uri: str | None = None
    ui_url: str | None = None
    description: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def read_only(self) -> bool:
        """True when interactive kernels may not write in this profile."""
        return self.interactive == READ_ONLY

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with passwords in URIs masked."""
        return {
            "name": self.name,
            "tracking_uri": mask_secret(self.tracking_uri),
            "registry_uri": mask_secret(self.registry_uri) if self.registry_uri else None,
            "experiment": self.experiment,
            "dvc_remote": self.dvc_remote,
            "interactive": self.interactive,
            "ui_url": self.ui_url,
            "description": self.description,
            "sources": dict(self.sources),
        }


def mask_secret(uri: str) -> str:
    """Hide the password of ``scheme://user:password@host`` URIs."""
    if "://" not in uri or "@" not in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


@dataclass(frozen=True)
class ProjectConfig:
    """The parsed configuration of one project."""

    root: Path
    source: Path | None
    data: dict[str, Any]

    @property
    def experiment(self) -> str:
        return str(self.data.get("experiment") or self.root.name or "Default")

    @property
    def default_env(self) -> str:
        return str(self.data.get("default_env", "dev"))

    @property
    def state_dir(self) -> Path:
        """``.mlops/`` in the project root: SQLite store, spool, caches."""
        return self.root / STATE_DIR

    def ensure_state_dir(self) -> Path:
        """Create ``.mlops/`` with a ``.gitignore`` of ``*`` (stores, spools and caches are
        machine state: ``git add -A`` must not commit them); returns the folder."""
        return ensure_state_dir(self.state_dir)

    @property
    def suites_dir(self) -> Path:
        return self.root / str(self.data.get("suites_dir", "mlops/suites"))

    @property
    def profile_names(self) -> list[str]:
        names = list(self.data.get("env", {}))
        return names or ["dev"]

    def section(self, name: str) -> dict[str, Any]:
        """A topic's table (``[drift]``, ``[release]``...), empty when absent."""
        return dict(self.data.get(name, {}))

    def default_tracking_uri(self) -> str:
        return f"sqlite:///{self.state_dir / 'mlflow.db'}"

    def profile(self, name: str) -> Profile:
        """Resolve profile ``name``: file values, then env-var overrides, then defaults."""
        profiles: dict[str, Any] = self.data.get("env", {})
        if profiles and name not in profiles:
            raise UnknownEnvironment(
                f"no environment profile '{name}'",
                hint=f"profiles defined in {self.describe_source()}: {', '.join(profiles)}",
            )
        if not profiles and name != "dev":
            raise UnknownEnvironment(
                f"no environment profile '{name}'",
                hint=f"define [env.{name}] in {CONFIG_FILE} at {self.root}",
            )
        raw: dict[str, Any] = dict(profiles.get(name, {}))
        where = self.describe_source()
        sources: dict[str, str] = {k: where for k in raw}
        env_uri = os.environ.get("MLFLOW_TRACKING_URI")
        if env_uri:
            raw["tracking_uri"] = env_uri
            sources["tracking_uri"] = "MLFLOW_TRACKING_URI"
        if "tracking_uri" not in raw:
            raw["tracking_uri"] = self.default_tracking_uri()
            sources["tracking_uri"] = "embedded default"
        raw["tracking_uri"] = self._resolve_sqlite(raw["tracking_uri"])
        if "experiment" not in raw:
            raw["experiment"] = self.experiment
            sources["experiment"] = where if "experiment" in self.data else "project folder name"
        mode = raw.get("interactive", READ_WRITE)
        if mode not in (READ_ONLY, READ_WRITE):
            raise ConfigError(
                f"interactive = '{mode}' in [env.{name}] is not valid",
                hint=f"use '{READ_ONLY}' or '{READ_WRITE}'",
            )
        return Profile(name=name, sources=sources, **raw)

    def _resolve_sqlite(self, uri: str) -> str:
        # Relative SQLite paths are relative to the project root, not to the kernel's cwd:
        # notebooks in sub-folders must share one store.
        prefix = "sqlite:///"
        if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
            rel = uri[len(prefix) :]
            if rel and rel != ":memory:":
                return prefix + str((self.root / rel).resolve())
        return uri

    def describe_source(self) -> str:
        if self.source is None:
            return "embedded default (no mlops.toml)"
        if self.source.name == "pyproject.toml":
            return f"{self.source} [tool.mlops_jupyter]"
        return str(self.source)


def _validate(data: dict[str, Any], where: str) -> None:
    check_keys(where, data, TOP_LEVEL_KEYS)
    for name, prof in data.get("env", {}).items():
        if not isinstance(prof, dict):
            raise ConfigError(f"[env.{name}] in {where} must be a table")
        check_keys(f"[env.{name}] of {where}", prof, PROFILE_KEYS)
    default = data.get("default_env")
    if default and data.get("env") and default not in data["env"]:
        raise ConfigError(
            f"default_env = '{default}' in {where} names no profile",
            hint=f"defined profiles: {', '.join(data['env'])}",
        )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def find_config_file(start: Path) -> tuple[Path | None, dict[str, Any]]:
    """Walk up from ``start`` to the first mlops.toml or pyproject with our table."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("mlops_jupyter")
            if table is not None:
                return pyproject, dict(table)
    return None, {}


def _project_root_without_config(start: Path) -> Path:
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / ".dvc").is_dir():
            return folder
    return here


def load_config(start: Path | str | None = None) -> ProjectConfig:
    """Find and parse the project configuration, starting at ``start`` (default: cwd)."""
    start_path = Path(start) if start is not None else Path.cwd()
    source, data = find_config_file(start_path)
    where = str(source) if source else CONFIG_FILE
    _validate(data, where)
    root = source.parent if source else _project_root_without_config(start_path)
    return ProjectConfig(root=root, source=source, data=data)
