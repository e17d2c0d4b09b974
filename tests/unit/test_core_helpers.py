"""Shared helpers: k=v parsing, atomic writes, check history, webhooks (real HTTP server)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from mlops_jupyter._util import atomic_write_text, json_safe, parse_pairs, parse_value
from mlops_jupyter.checks import latest_checks, record_check
from mlops_jupyter.errors import MlopsUsageError
from mlops_jupyter.webhook import WebhookError, post_json


def test_parse_value_types() -> None:
    assert parse_value("3") == 3 and isinstance(parse_value("3"), int)
    assert parse_value("0.5") == 0.5
    assert math.isnan(parse_value("nan")) and parse_value("-inf") == -math.inf
    assert parse_value("true") is True and parse_value("None") is None
    assert parse_value("'a b'") == "a b" and parse_value("abc") == "abc"


def test_parse_pairs_rejects_bad_items() -> None:
    assert parse_pairs(["a=1", "b=x=y"]) == {"a": 1, "b": "x=y"}
    with pytest.raises(MlopsUsageError, match="not of the form"):
        parse_pairs(["novalue"])
    with pytest.raises(MlopsUsageError, match="not a valid name"):
        parse_pairs(["x y=1"])


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    with pytest.raises(TypeError):
        atomic_write_text(target, 123)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_json_safe() -> None:
    import numpy as np

    out = json_safe({"a": float("nan"), "b": (1, np.float64(2.5)), "c": math.inf, "d": np.int64(3)})
    assert out == {"a": None, "b": [1, 2.5], "c": None, "d": 3}
    json.dumps(out, allow_nan=False)


def test_check_history_latest_per_name(project: Path) -> None:
    record_check("validation", "orders", False, {"failed": 2, "x": float("nan")}, notebook="a.ipynb")
    time.sleep(0.01)
    record_check("validation", "orders", True, {"failed": 0}, notebook="a.ipynb")
    record_check("drift", "daily", True, {"share": 0.1}, notebook="b.ipynb")
    (project / ".mlops" / "checks.jsonl").open("a").write('{"torn line')
    latest = latest_checks()
    assert [(e["kind"], e["ok"]) for e in latest] == [("drift", True), ("validation", True)]
    assert [e["name"] for e in latest_checks(notebook="a.ipynb")] == ["orders"]


class _Handler(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, bytes]]] = []
    mode: ClassVar[str] = "ok"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((self.path, body))
        if self.mode == "slow":
            time.sleep(1.5)
        code = {"ok": 200, "500": 500, "404": 404, "slow": 200}[self.mode]
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"calls": [], "mode": "ok"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def test_webhook_success(hook_server: tuple[str, type[_Handler]]) -> None:
    url, handler = hook_server
    res = post_json(url, {"drift": True, "share": 0.5})
    assert res.status == 200 and res.attempts == 1
    assert json.loads(handler.calls[0][1]) == {"drift": True, "share": 0.5}


def test_webhook_500_retries_then_fails(hook_server: tuple[str, type[_Handler]]) -> None:
    url, handler = hook_server
    handler.mode = "500"
    with pytest.raises(WebhookError, match="failed after 3 attempt"):
        post_json(url, {}, retries=2, backoff=0.01)
    assert len(handler.calls) == 3


def test_webhook_4xx_is_final(hook_server: tuple[str, type[_Handler]]) -> None:
    url, handler = hook_server
    handler.mode = "404"
    with pytest.raises(WebhookError, match="HTTP 404"):
        post_json(url, {}, retries=2, backoff=0.01)
    assert len(handler.calls) == 1


def test_webhook_timeout_is_bounded(hook_server: tuple[str, type[_Handler]]) -> None:
    url, handler = hook_server
    handler.mode = "slow"
    start = time.monotonic()
    with pytest.raises(WebhookError, match="timed out"):
        post_json(url, {}, timeout=0.3, retries=1, backoff=0.01)
    assert time.monotonic() - start < 3


def test_webhook_refuses_non_http() -> None:
    with pytest.raises(WebhookError, match="must be http"):
        post_json("file:///etc/passwd", {})
