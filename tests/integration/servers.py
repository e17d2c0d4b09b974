"""Real servers for integration tests: an ``mlflow server`` subprocess and PostgreSQL.

Reusable by every topic: ``MlflowServer(backend_uri, artifacts_dir).start()`` on a free
port of 127.0.0.1; ``PostgresServer(tmp).start()`` runs Debian's PostgreSQL binaries
(``/usr/lib/postgresql/<v>/bin``) in a temporary cluster as the ``postgres`` user (it
refuses root). Both stop their whole process group.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise TimeoutError(f"{url} not up after {timeout} s\n{tail}")


class MlflowServer:
    """``mlflow server`` on 127.0.0.1 with a backend store and a served artifact folder."""

    def __init__(self, backend_uri: str, artifacts_dir: Path, port: int | None = None, log_dir: Path | None = None) -> None:
        self.backend_uri = backend_uri
        self.artifacts_dir = Path(artifacts_dir)
        self.port = port or free_port()
        self.log = (log_dir or self.artifacts_dir.parent) / f"mlflow-server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> MlflowServer:
        """Start and wait until ``/health`` answers."""
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        mlflow = str(Path(sys.executable).with_name("mlflow"))
        cmd = [
            mlflow, "server", "--host", "127.0.0.1", "--port", str(self.port),
            "--backend-store-uri", self.backend_uri,
            "--serve-artifacts", "--artifacts-destination", str(self.artifacts_dir),
            "--workers", "1",
        ]
        env = dict(os.environ)
        env.pop("MLFLOW_TRACKING_URI", None)
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        fh.close()
        _wait_http(f"{self.uri}/health", timeout, self.proc, self.log)
        return self

    def kill(self) -> None:
        """SIGKILL the server's process group (a crash, not a clean shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        """Terminate the server's process group."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        self.proc = None


def postgres_bin() -> Path | None:
    """Folder of Debian's PostgreSQL server binaries (newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """A throw-away PostgreSQL cluster in ``base`` on a free port of 127.0.0.1."""

    def __init__(self, base: Path, user: str = "postgres") -> None:
        self.bin = postgres_bin()
        self.base = Path(base)
        self.data = self.base / "pgdata"
        self.port = free_port()
        self.user = user
        self.started = False

    @property
    def as_root(self) -> bool:
        return hasattr(os, "geteuid") and os.geteuid() == 0

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full = [*(["runuser", "-u", self.user, "--"] if self.as_root else []), *cmd]
        return subprocess.run(full, check=True, capture_output=True, text=True, timeout=timeout)

    def start(self) -> PostgresServer:
        """initdb (trust auth on localhost), start, create database ``mlflow``."""
        assert self.bin is not None, "PostgreSQL binaries not found"
        self.base.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.base, self.user, self.user)
            os.chmod(self.base, 0o755)
            for parent in self.base.parents:  # the postgres user must reach the folder
                if str(parent) in ("/", "/tmp"):
                    break
                os.chmod(parent, os.stat(parent).st_mode | 0o711)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "pg.log"), "-w", "-t", "60",
            "-o", f"-p {self.port} -h 127.0.0.1 -k {self.base} -c fsync=off", "start",
        )
        self.started = True
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "mlflow")
        return self

    @property
    def uri(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/mlflow"

    def stop(self) -> None:
        """Stop the cluster immediately."""
        if self.started:
            full = [*(["runuser", "-u", self.user, "--"] if self.as_root else []),
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]  # type: ignore[operator]
            subprocess.run(full, capture_output=True, text=True, timeout=60, check=False)
            self.started = False


def sqlite_store_template(base: Path) -> Path:
    """An empty MLflow SQLite store with the schema already created (made once per base).

    Creating the schema takes seconds (dozens of migrations); tests copy this file into
    their project's ``.mlops/mlflow.db`` instead. Tests of schema creation itself must not.
    """
    from filelock import FileLock

    path = Path(base) / "mlflow-template.db"
    with FileLock(str(path) + ".lock"):
        if not path.exists():
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

            tmp = path.with_suffix(".tmp.db")
            tmp.unlink(missing_ok=True)
            store = SqlAlchemyStore(f"sqlite:///{tmp}", str(path.parent / "template-artifacts"))
            store.engine.dispose()
            tmp.rename(path)
    return path


def use_store_template(project: Path, base: Path) -> Path:
    """Copy the migrated template to ``project/.mlops/mlflow.db`` (the embedded default)."""
    target = Path(project) / ".mlops" / "mlflow.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_store_template(base), target)
    return target
