"""A real Prometheus (Debian's binary) on 127.0.0.1, started and stopped by PID."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from mlops_jupyter.serving.processes import free_port


def prometheus_bin() -> str | None:
    return shutil.which("prometheus")


class Prometheus:
    """``prometheus`` scraping one target every second, with its own tmp storage."""

    def __init__(self, base: Path, target: str) -> None:
        self.base = Path(base)
        self.port = free_port()
        self.target = target
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Prometheus:
        self.base.mkdir(parents=True, exist_ok=True)
        cfg = self.base / "prometheus.yml"
        cfg.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                       "scrape_configs:\n  - job_name: mlops-gateway\n    metrics_path: /metrics\n"
                       f"    static_configs:\n      - targets: ['{self.target}']\n")
        log = (self.base / "prometheus.log").open("ab")
        self.proc = subprocess.Popen(
            [str(prometheus_bin()), f"--config.file={cfg}", f"--storage.tsdb.path={self.base / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("prometheus not ready")

    def query(self, expr: str) -> list[dict[str, Any]]:
        q = urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{q}", timeout=5) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self.proc = None
