"""The one session object: all mutable state of mlops_jupyter in a process lives here.

Topics keep their per-process state on :data:`session` (``session.run`` for the active
run, ``session.state[topic]`` for anything else) so that :func:`reset` — used by the test
fixtures — returns the process to a clean start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import CONFIG_FILE, Profile, ProjectConfig, load_config
from .errors import ReadOnlyEnvironment

HEADLESS_VAR = "MLOPS_HEADLESS"


def _env_says_headless() -> bool:
    return os.environ.get(HEADLESS_VAR, "") not in ("", "0") or os.environ.get("CI", "") in (
        "true",
        "1",
    )


@dataclass
class Session:
    """Per-process state: where the project is, which profile is active, what runs."""

    start_dir: Path | None = None
    env_override: str | None = None
    interactive: bool = False
    notebook_path: str | None = None
    cell_ids: list[str] = field(default_factory=list)
    run: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    _config: ProjectConfig | None = None
    _config_key: tuple[Any, ...] | None = None

    # -- configuration -------------------------------------------------------------
    def config(self) -> ProjectConfig:
        """The project config, re-read when the file changes or cwd moves."""
        start = self.start_dir or Path.cwd()
        cfg = self._config
        key = (str(start), self._source_stamp(cfg, start))
        if cfg is None or key != self._config_key:
            cfg = load_config(start)
            self._config = cfg
            self._config_key = (str(start), self._source_stamp(cfg, start))
        return cfg

    @staticmethod
    def _source_stamp(cfg: ProjectConfig | None, start: Path) -> Any:
        """What must stay equal for the cached config to hold: every place a config could be
        found from ``start`` up to the one in use (``mlops.toml``, or ``pyproject.toml`` with
        our table), so an edited file, a removed one or a nearer one written later is noticed.
        Stats only: no file is read."""
        if cfg is None:
            return None
        out: list[Any] = []
        folder = os.path.abspath(start)
        last = str(cfg.source.parent) if cfg.source is not None else None
        while True:
            for name in (CONFIG_FILE, "pyproject.toml"):
                try:
                    st = os.stat(os.path.join(folder, name))
                    out.append((st.st_mtime_ns, st.st_size))
                except OSError:
                    out.append(None)
            parent = os.path.dirname(folder)
            if folder == last or parent == folder:
                return tuple(out)
            folder = parent

    def env_name(self) -> tuple[str, str]:
        """The active profile's name and where that choice came from."""
        if self.env_override:
            return self.env_override, "%mlops_env / mj.use_env in this session"
        if os.environ.get("MLOPS_ENV"):
            return os.environ["MLOPS_ENV"], "MLOPS_ENV"
        cfg = self.config()
        if "default_env" in cfg.data:
            return cfg.default_env, cfg.describe_source()
        return "dev", "built-in default"

    def profile(self) -> Profile:
        """The active, fully resolved environment profile."""
        name, _ = self.env_name()
        return self.config().profile(name)

    def use_env(self, name: str) -> Profile:
        """Switch the active profile for this session (validated before switching)."""
        profile = self.config().profile(name)
        self.env_override = name
        return profile

    def set_notebook(self, path: str, cell_ids: list[str] | None = None) -> None:
        """Told by the JupyterLab frontend (or a runner): the notebook this kernel runs."""
        self.notebook_path = path
        self.cell_ids = list(cell_ids or [])

    # -- rights --------------------------------------------------------------------
    @property
    def headless(self) -> bool:
        return not self.interactive or _env_says_headless()

    def require_write(self, action: str) -> Profile:
        """Refuse ``action`` in a read-only profile when running in an interactive kernel."""
        profile = self.profile()
        if profile.read_only and not self.headless:
            raise ReadOnlyEnvironment(
                f"cannot {action}: environment '{profile.name}' is read-only from interactive kernels",
                hint="run it headless (mlops-jupyter run / CI) or switch with %mlops_env dev",
            )
        return profile

    def reset(self) -> None:
        """Forget everything (tests use this between cases)."""
        fresh = Session()
        self.__dict__.update(fresh.__dict__)


session = Session()


def reset() -> None:
    """Reset the process-wide session."""
    session.reset()
