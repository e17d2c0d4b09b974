"""The project's git + DVC repository as the data topic sees it.

DVC is driven through its command line (``<venv>/bin/dvc``, the one next to this Python):
its CLI is the stable interface (DVC has no Python API for add/push, dvc#7071), and a
subprocess keeps DVC's import cost and global state out of the kernel. git is the ``git``
on PATH. Everything else (reading ``.dvc`` files, cache layout, local remotes) is read
directly, because it is cheap and its format is documented.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError, DependencyMissing
from ..session import session

DVC_SUFFIX = ".dvc"


def dvc_executable() -> str:
    """The ``dvc`` of this environment (next to ``sys.executable``), else the one on PATH."""
    here = Path(sys.executable).with_name("dvc")
    if here.exists():
        return str(here)
    found = shutil.which("dvc")
    if not found:
        raise DependencyMissing("DVC is not installed", hint="pip install dvc")
    return found


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    return env


def run_cmd(cmd: list[str], cwd: Path, check: bool = True, what: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a git/dvc command; a failure becomes a :class:`DataError` with its last line."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_env())
    except FileNotFoundError:
        raise DependencyMissing(f"{cmd[0]} is not installed", hint="install git and DVC") from None
    if check and proc.returncode != 0:
        msg = (proc.stderr.strip() or proc.stdout.strip() or f"exit code {proc.returncode}").splitlines()
        last = next((m for m in reversed(msg) if m.strip() and not m.startswith("Having any troubles")), "")
        raise DataError(f"{what or ' '.join(cmd[:2])} failed: {last.strip()}")
    return proc


def start_dir() -> Path:
    """Where relative paths start: the session's start dir, else the working directory."""
    return (session.start_dir or Path.cwd()).resolve()


@dataclass(frozen=True)
class DataRepo:
    """A DVC repository inside a git repository.

    ``root`` is where ``.dvc/`` lives: the git top level, or a project folder inside it
    (``dvc init --subdir``, a project in a monorepo). Paths the data topic hands around
    are relative to ``root``; :meth:`git_path` turns them into the top-level-relative
    paths some git commands print or expect.
    """

    root: Path
    git_root: Path | None = None  # None: the same as root

    # -- discovery ----------------------------------------------------------------
    @classmethod
    def find(cls, start: Path | None = None, init: bool = False) -> DataRepo:
        """The git + DVC repository containing ``start``; ``init=True`` creates what is missing.

        The nearest folder between ``start`` and the git top level that holds ``.dvc/``
        is the DVC root. ``init=True`` initialises DVC at the project root (the folder of
        ``mlops.toml``) when that is a folder inside the git repository, else at its top.
        """
        here = (start or start_dir()).resolve()
        proc = run_cmd(["git", "rev-parse", "--show-toplevel"], here, check=False)
        if proc.returncode != 0:
            if not init:
                raise DataError(
                    f"{here} is not inside a git repository",
                    hint=f"run `git init && dvc init` in {here} (or pin with --init)",
                )
            run_cmd(["git", "init", "-q"], here, what="git init")
            top = here
        else:
            top = Path(proc.stdout.strip()).resolve()
        root = dvc_root(here, top)
        if root is None:
            if not init:
                raise DataError(
                    f"{top} is a git repository but not a DVC repository",
                    hint=f"run `dvc init` in {top} (or `dvc init --subdir` in a project folder inside it), "
                         "or pin with --init",
                )
            root = _init_dvc(here, top)
        return cls(root, None if root == top else top)

    @property
    def prefix(self) -> str:
        """The DVC root relative to the git top level (POSIX, "" when they are the same)."""
        return self.root.relative_to(self.git_root).as_posix() if self.git_root else ""

    def git_path(self, rel: str) -> str:
        """``rel`` (relative to the DVC root) as a path relative to the git top level."""
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def from_git_path(self, path: str) -> str | None:
        """A top-level-relative path git printed, relative to the DVC root (None: outside it)."""
        if not self.prefix:
            return path
        head = self.prefix + "/"
        return path[len(head):] if path.startswith(head) else None

    # -- paths --------------------------------------------------------------------
    def resolve(self, path: str | os.PathLike[str], must_exist: bool = True) -> Path:
        """Absolute path inside the repo; refuses paths outside it and (optionally) missing ones."""
        raw = Path(path)
        full = raw if raw.is_absolute() else start_dir() / raw
        full = Path(os.path.normpath(full))
        if full.name.endswith(DVC_SUFFIX) and full.is_file():
            full = full.with_name(full.name[: -len(DVC_SUFFIX)])
        try:
            rel = full.resolve().relative_to(self.root)
        except ValueError:
            raise DataError(
                f"{path} is outside the repository {self.root}",
                hint="pin files inside the project (copy or move them there first)",
            ) from None
        if not rel.parts or rel.parts[0] in (".git", ".dvc", ".mlops"):
            raise DataError(f"{path} cannot be pinned: it is the repository or its metadata")
        if must_exist and not full.exists() and not self.dvc_file(full).exists():
            raise DataError(f"{path} does not exist", hint=f"looked for {full}")
        return self.root / rel

    def rel(self, full: Path) -> str:
        """Repo-relative POSIX path of ``full``."""
        return full.resolve().relative_to(self.root).as_posix() if full.exists() else Path(
            os.path.normpath(full)).relative_to(self.root).as_posix()

    @staticmethod
    def dvc_file(full: Path) -> Path:
        return full.with_name(full.name + DVC_SUFFIX)

    def cache_dir(self) -> Path:
        cfg = self.config()
        custom = cfg.get("cache", {}).get("dir")
        if custom:
            return (self.root / ".dvc" / custom).resolve()
        return self.root / ".dvc" / "cache"

    def cache_path(self, md5: str) -> Path:
        """Where DVC 3 keeps the object ``md5`` (``files/md5/ab/cdef...``)."""
        return self.cache_dir() / "files" / "md5" / md5[:2] / md5[2:]

    # -- git ----------------------------------------------------------------------
    def git(self, *args: str, check: bool = True) -> str:
        return run_cmd(["git", *args], self.root, check=check).stdout.strip()

    def show_at(self, rev: str, rel: str) -> str | None:
        """Text of ``rel`` at git revision ``rev``, or None if it does not exist there."""
        proc = run_cmd(["git", "show", f"{rev}:{self.git_path(rel)}"], self.root, check=False)
        if proc.returncode != 0:
            if run_cmd(["git", "rev-parse", "--verify", "-q", f"{rev}^{{commit}}"], self.root, check=False).returncode:
                raise DataError(f"unknown git revision '{rev}'", hint="use a commit, tag or branch of this repository")
            return None
        return proc.stdout

    def commit_files(self, rels: list[str], message: str | None) -> bool:
        """Stage ``rels``; with a message, commit exactly those files (other staged work is
        left alone). True when a commit was made (False: nothing of them changed)."""
        self.git("add", "--", *rels)
        if not message or not self.git("diff", "--cached", "--name-only", "--", *rels):
            return False
        self.git("commit", "-q", "-m", message, "--", *rels)
        return True

    def resolve_rev(self, rev: str) -> str:
        return self.git("rev-parse", "--verify", f"{rev}^{{commit}}")

    def last_commit(self, rel: str) -> str | None:
        """The last commit that changed ``rel`` (None if never committed)."""
        out = self.git("log", "-1", "--format=%H", "--", rel, check=False)
        return out or None

    def is_committed(self, rel: str) -> bool:
        """True when ``rel`` is tracked and identical to HEAD (nothing staged or changed)."""
        tracked = run_cmd(["git", "ls-files", "--error-unmatch", rel], self.root, check=False).returncode == 0
        if not tracked:
            return False
        return self.git("status", "--porcelain", "--", rel) == ""

    def commit_states(self, rels: list[str]) -> dict[str, str | None]:
        """For many files at once: rel -> last commit if committed and unchanged, else None."""
        if not rels:
            return {}
        q = ("-c", "core.quotepath=off")
        tracked = set(self.git(*q, "ls-files", "-z", "--", *rels).split("\0"))
        entries = self.git(*q, "status", "--porcelain", "-z", "--untracked-files=all", "--", *rels).split("\0")
        # status and log print top-level-relative paths; ls-files prints cwd-relative ones
        dirty = {self.from_git_path(e[3:]) for e in entries if len(e) > 3}
        dirty |= {self.from_git_path(e) for e in entries if self.from_git_path(e) in rels}
        wanted = {r for r in rels if r in tracked and r not in dirty}
        out: dict[str, str | None] = dict.fromkeys(rels)
        if wanted:
            log = self.git(*q, "log", "--no-renames", "--format=commit %H", "--name-only", "--", *sorted(wanted))
            commit = None
            for line in log.splitlines():
                name = self.from_git_path(line)
                if line.startswith("commit "):
                    commit = line[7:].strip()
                elif name in wanted and out.get(name) is None:
                    out[name] = commit
        return out

    # -- DVC config and remotes ------------------------------------------------------
    def config(self) -> dict[str, dict[str, str]]:
        """DVC's config (``.dvc/config`` then ``config.local``) as {section: {key: value}}."""
        parser = configparser.RawConfigParser(strict=False)
        for name in ("config", "config.local"):
            f = self.root / ".dvc" / name
            if f.is_file():
                try:
                    parser.read(f, encoding="utf-8")
                except configparser.Error as exc:
                    raise DataError(f"cannot parse {f}: {exc}") from None
        out: dict[str, dict[str, str]] = {}
        for section in parser.sections():
            key = section.strip()
            if len(key) >= 2 and key[0] == key[-1] == "'":
                key = key[1:-1]
            out[key] = dict(parser.items(section))
        return out

    def remote_name(self, name: str | None = None) -> str | None:
        """The remote to use: ``name``, else the profile's ``dvc_remote``, else DVC's default."""
        if name:
            return name
        try:
            prof = session.profile().dvc_remote
        except Exception:  # a broken config is reported by whoever reads it first
            prof = None
        if prof:
            return prof
        return self.config().get("core", {}).get("remote")

    def remote_url(self, name: str) -> str:
        section = self.config().get(f'remote "{name}"')
        if section is None or "url" not in section:
            raise DataError(
                f"DVC remote '{name}' is not configured in {self.root}",
                hint=f"dvc remote add {name} URL (or set dvc_remote in mlops.toml)",
            )
        return section["url"]

    def local_remote_dir(self, name: str) -> Path | None:
        """The folder of a local-folder remote (None for cloud remotes)."""
        url = self.remote_url(name)
        if "://" in url and not url.startswith("file://"):
            return None
        path = Path(url.removeprefix("file://"))
        return path if path.is_absolute() else (self.root / ".dvc" / path).resolve()

    def dvc(self, *args: str, check: bool = True, what: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_cmd([dvc_executable(), *args], self.root, check=check, what=what)


def dvc_root(here: Path, top: Path | None) -> Path | None:
    """The nearest folder from ``here`` up to the git top level ``top`` that holds ``.dvc/``
    (``top=None``, outside git: only ``here`` itself)."""
    for folder in (here, *here.parents):
        if top is None and folder != here:
            return None
        if top is not None and not folder.is_relative_to(top):
            return None
        if (folder / ".dvc").is_dir():
            return folder
    return None


def _init_dvc(here: Path, top: Path) -> Path:
    """``dvc init`` at the project root inside ``top`` (``--subdir``), else at ``top``."""
    try:
        project = session.config().root.resolve()
    except Exception:  # a broken config is reported by whoever reads it first
        project = top
    where = project if project != top and project.is_relative_to(top) and here.is_relative_to(project) else top
    subdir = ["--subdir"] if where != top else []
    run_cmd([dvc_executable(), "init", "-q", *subdir], where, what="dvc init")
    return where


def parse_dvc_file(text: str, where: str) -> dict[str, Any]:
    """The single output of a ``.dvc`` file: {md5, size, nfiles, path}."""
    import yaml

    try:
        data = yaml.safe_load(text) or {}
        out = data["outs"][0]
        md5 = str(out["md5"])
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        raise DataError(f"{where} is not a valid .dvc file") from None
    return {"md5": md5, "size": out.get("size"), "nfiles": out.get("nfiles"), "path": out.get("path")}
