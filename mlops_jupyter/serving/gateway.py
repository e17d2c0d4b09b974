"""The monitoring gateway: an ASGI app (Starlette under uvicorn) in front of the scoring servers.

Run as its own process: ``python -m mlops_jupyter.serving.gateway CONFIG.json`` (the
:class:`~mlops_jupyter.serving.service.Service` does it). Routes:

* ``POST /invocations`` — forwarded unchanged (every MLflow request format) to one arm,
  chosen by a stable hash of ``X-Request-Key`` (else a random id); the reply carries
  ``X-Request-Id``, ``X-Arm`` and ``X-Model-Version``; the request is logged before the
  reply is sent (see :mod:`.log`).
* ``POST /feedback`` — ``{"request_id": ..., "label": ...}`` (or a list of them).
* ``GET /health`` — arms up/down; 503 when no arm answers.
* ``GET /metrics`` — Prometheus text: requests, model errors, client errors, latency
  histogram, arm up, per arm.

A dead arm (failed probe or refused connection) leaves the rotation: its requests go to the
other arm and a model error is counted for it; it comes back when ``/ping`` answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .log import RecordLog, read_log
from .upstream import Reply, Upstream, UpstreamError

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
# Keep-alive ordering (HTTP/1.1 has no way to close an idle connection without racing a
# request the other side sends at that moment): the side that keeps a connection longer must
# be the server, so the client always drops an idle connection first. Clients commonly
# drop idle connections after 5 s (httpx, node) where uvicorn's default server timeout is
# also 5 s: a client reusing a connection at 5 s then gets it reset under its request
# (httpx.ReadError). The gateway keeps idle client connections 75 s (nginx's default);
# towards the scoring servers the gateway is the client: it drops idle connections after
# 30 s and starts the scoring servers with a 75 s keep-alive (see processes.scoring_proc).
SERVER_KEEP_ALIVE_S = 75
UPSTREAM_IDLE_S = 30.0
MAX_LOGGED_CHARS = 100_000  # inputs / predictions longer than this are cut in the log


def arm_of(key: str, split: float) -> str:
    """``challenger`` for a fraction ``split`` of keys, stably (SHA-256 of the key)."""
    h = int.from_bytes(hashlib.sha256(key.encode("utf-8", "replace")).digest()[:8], "big")
    return "challenger" if h / 2.0**64 < split else "champion"


def input_rows(payload: Any) -> list[Any] | None:
    """The rows of an MLflow JSON request as records (None when the shape is unknown)."""
    if not isinstance(payload, dict):
        return None
    if "dataframe_split" in payload:
        split = payload["dataframe_split"]
        if isinstance(split, dict) and isinstance(split.get("data"), list):
            cols = split.get("columns")
            if isinstance(cols, list):
                return [dict(zip(cols, row, strict=False)) if isinstance(row, list) else row for row in split["data"]]
            return list(split["data"])
        return None
    for key in ("dataframe_records", "inputs", "instances"):
        if key in payload:
            value = payload[key]
            if isinstance(value, list):
                return value
            if isinstance(value, dict):  # columnar {"col": [..]}
                cols = list(value)
                lengths = {len(v) for v in value.values() if isinstance(v, list)}
                if len(lengths) == 1:
                    n = lengths.pop()
                    return [{c: value[c][i] for c in cols} for i in range(n)]
                return [value]
            return None
    return None


class Arm:
    """One scoring server as the gateway sees it."""

    def __init__(self, spec: dict[str, Any], timeout: float = 60.0) -> None:
        from urllib.parse import urlsplit

        self.name: str = spec["name"]
        self.url: str = spec["url"].rstrip("/")
        self.model_uri: str = spec.get("model_uri", "")
        self.version: str = str(spec.get("version") or "")
        self.up = True
        self.since = time.time()
        where = urlsplit(self.url)
        self.upstream = Upstream(where.hostname or "127.0.0.1", where.port or 80, timeout, UPSTREAM_IDLE_S)


class Gateway:
    """State of one gateway process: arms, logs, metrics, the HTTP client."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.folder = Path(cfg["folder"])
        self.split = float(cfg.get("split", 0.0))
        self.max_body = int(cfg.get("max_body", 5 * 1024 * 1024))
        self.arms = {a["name"]: Arm(a, float(cfg.get("timeout", 60.0))) for a in cfg["arms"]}
        self.requests = RecordLog(self.folder, "requests")
        self.feedback = RecordLog(self.folder, "feedback")
        self.known_ids: set[str] = set()
        self.started = time.time()
        self.tasks: list[asyncio.Task[Any]] = []
        reg = self.registry = CollectorRegistry()
        self.m_requests = Counter("mlops_requests", "Requests answered, by arm and HTTP status class", ["arm", "status"], registry=reg)
        self.m_model_errors = Counter("mlops_model_errors", "Model errors (5xx or unreachable scoring server), by arm", ["arm"], registry=reg)
        self.m_client_errors = Counter("mlops_client_errors", "Requests refused as bad input (4xx), by arm ('gateway': refused before forwarding)", ["arm"], registry=reg)
        self.m_latency = Histogram("mlops_request_latency_seconds", "Latency of answered requests, by arm", ["arm"], buckets=LATENCY_BUCKETS, registry=reg)
        self.m_up = Gauge("mlops_arm_up", "1 when the arm's scoring server answers", ["arm"], registry=reg)
        self.m_feedback = Counter("mlops_feedback", "Labels received on /feedback", registry=reg)
        for arm in self.arms:
            self.m_up.labels(arm).set(1)
            self.m_model_errors.labels(arm)
            self.m_client_errors.labels(arm)
            self.m_latency.labels(arm)

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        self.requests.open()
        self.feedback.open()
        ids = read_log(self.folder, "requests", columns=[])["request_id"].dropna()
        self.known_ids = set(ids.astype(str))
        self._health_event(None, True, "gateway started")
        self.tasks = [asyncio.create_task(self._flush_loop()), asyncio.create_task(self._probe_loop())]

    async def stop(self) -> None:
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for arm in self.arms.values():
            await arm.upstream.aclose()
        self.requests.close()
        self.feedback.close()
        self._health_event(None, False, "gateway stopped")

    async def _flush_loop(self) -> None:
        interval = float(self.cfg.get("flush_interval", 1.0))
        while True:
            await asyncio.sleep(interval)
            await self.flush()

    async def flush(self) -> None:
        """Seal the current segments (in the loop) and write them to Parquet (in a thread)."""
        for log in (self.requests, self.feedback):
            if log.rotate() is not None:
                for seg in log.sealed():
                    await asyncio.to_thread(log.flush_segment, seg)

    async def _probe_loop(self) -> None:
        interval = float(self.cfg.get("probe_interval", 1.0))
        while True:
            if self._orphaned():
                return
            await asyncio.gather(*(self._probe(a) for a in self.arms.values()))
            await asyncio.sleep(interval)

    def _orphaned(self) -> bool:
        """The process that owns the service died without stopping it (a killed kernel):
        stop its scoring servers by their PIDs (from service.json) and this gateway."""
        import os
        import signal

        from .processes import pid_alive

        owner = self.cfg.get("owner_pid")
        if not owner or pid_alive(owner):
            return False
        self._health_event(None, False, f"owner process {owner} is gone: stopping the service")
        try:
            state = json.loads((self.folder / "service.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
        for arm in (state.get("arms") or {}).values():
            pid = arm.get("pid")
            if isinstance(pid, int) and pid_alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly: the log is flushed
        return True

    async def _probe(self, arm: Arm) -> None:
        try:
            r = await arm.upstream.request("GET", "/ping", timeout=2.0)
            ok, why = r.status == 200, f"/ping answered {r.status}"
        except UpstreamError as exc:
            ok, why = False, f"/ping failed: {type(exc).__name__}"
        self._set_up(arm, ok, why)

    def _set_up(self, arm: Arm, up: bool, why: str) -> None:
        if arm.up != up:
            arm.up, arm.since = up, time.time()
            self.m_up.labels(arm.name).set(1 if up else 0)
            self._health_event(arm.name, up, why)

    def _health_event(self, arm: str | None, up: bool, why: str) -> None:
        line = json.dumps({"time": time.time(), "arm": arm, "up": up, "reason": why}) + "\n"
        with open(self.folder / "health.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line)

    # -- routes ------------------------------------------------------------------------
    async def invocations(self, request: Request) -> Response:
        t0 = time.perf_counter()
        request_id = uuid.uuid4().hex
        body = await _read_body(request, self.max_body)
        if isinstance(body, Response):
            self.m_client_errors.labels("gateway").inc()
            return body
        ctype = request.headers.get("content-type", "application/json")
        rows = None
        if "json" in ctype:
            try:
                rows = input_rows(json.loads(body))
            except ValueError as exc:
                self.m_client_errors.labels("gateway").inc()
                return _error(400, f"request body is not valid JSON: {exc}", request_id)
        key = request.headers.get("x-request-key") or request_id
        chosen = arm_of(key, self.split) if "challenger" in self.arms else "champion"
        order = [chosen] + [a for a in self.arms if a != chosen]
        live = [a for a in order if self.arms[a].up] or order  # all down: try anyway
        failover = ""
        resp: Reply | None = None
        arm = self.arms[live[0]]
        for name in live:
            arm = self.arms[name]
            try:
                resp = await self._forward(arm, body, ctype)
                break
            except UpstreamError as exc:
                self.m_model_errors.labels(arm.name).inc()
                print(f"gateway: {arm.name} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                self._set_up(arm, False, f"/invocations failed: {type(exc).__name__}")
                failover = f"{arm.name} unreachable"
        latency = time.perf_counter() - t0
        if resp is None:
            self.m_requests.labels(arm.name, "5xx").inc()
            self.requests.append({
                "request_id": request_id, "time": time.time(), "arm": arm.name, "model_uri": arm.model_uri,
                "model_version": arm.version, "status": 503, "latency_ms": latency * 1000.0,
                "n_rows": len(rows) if rows is not None else -1, "inputs": "", "prediction": "",
                "error": "no scoring server answered", "key": request.headers.get("x-request-key", ""),
                "failover": failover})
            self.known_ids.add(request_id)
            return _error(503, "no scoring server answered", request_id)
        status = resp.status
        cls = f"{status // 100}xx"
        self.m_requests.labels(arm.name, cls).inc()
        if status >= 500:
            self.m_model_errors.labels(arm.name).inc()
        elif status >= 400:
            self.m_client_errors.labels(arm.name).inc()
        self.m_latency.labels(arm.name).observe(latency)
        text = resp.text if status < 400 else ""
        prediction = text
        if text:
            with contextlib.suppress(ValueError):
                parsed = json.loads(text)
                prediction = json.dumps(parsed.get("predictions", parsed) if isinstance(parsed, dict) else parsed)
        record = {
            "request_id": request_id, "time": time.time(), "arm": arm.name, "model_uri": arm.model_uri,
            "model_version": arm.version, "status": status, "latency_ms": latency * 1000.0,
            "n_rows": len(rows) if rows is not None else -1,
            "inputs": (json.dumps(rows) if rows is not None else body.decode("utf-8", "replace"))[:MAX_LOGGED_CHARS],
            "prediction": prediction[:MAX_LOGGED_CHARS], "error": "" if status < 400 else resp.text[:2000],
            "key": request.headers.get("x-request-key", ""), "failover": failover,
        }
        self.requests.append(record)  # the acknowledgement point: logged before answering
        self.known_ids.add(request_id)
        headers = {"X-Request-Id": request_id, "X-Arm": arm.name, "X-Model-Version": arm.version}
        return Response(resp.content, status_code=status, headers=headers,
                        media_type=resp.headers.get("content-type", "application/json"))

    async def _forward(self, arm: Arm, body: bytes, ctype: str) -> Reply:
        """POST to the arm over a kept-alive connection (see :mod:`.upstream` for the one
        resend when a reused connection was closed before any reply)."""
        return await arm.upstream.request("POST", "/invocations", body, ctype)

    async def feedback_route(self, request: Request) -> Response:
        body = await _read_body(request, self.max_body)
        if isinstance(body, Response):
            return body
        try:
            payload = json.loads(body)
        except ValueError as exc:
            return _error(400, f"feedback body is not valid JSON: {exc}")
        items = payload if isinstance(payload, list) else [payload]
        checked = []
        for item in items:
            if not isinstance(item, dict) or "request_id" not in item or "label" not in item:
                return _error(400, 'feedback wants {"request_id": ..., "label": ...} (or a list of them)')
            rid = str(item["request_id"])
            if rid not in self.known_ids:
                return _error(404, f"unknown request id {rid!r}: no request with this id was logged by this service")
            checked.append({"request_id": rid, "time": time.time(), "label": json.dumps(item["label"])})
        for rec in checked:
            self.feedback.append(rec)
        self.m_feedback.inc(len(checked))
        return JSONResponse({"stored": len(checked)})

    async def health(self, request: Request) -> Response:
        arms = {a.name: {"up": a.up, "since": a.since, "url": a.url, "model_uri": a.model_uri,
                         "model_version": a.version} for a in self.arms.values()}
        n_up = sum(a.up for a in self.arms.values())
        status = "ok" if n_up == len(self.arms) else ("degraded" if n_up else "down")
        body = {"status": status, "service": self.cfg.get("name"), "split": self.split,
                "uptime_s": time.time() - self.started, "arms": arms}
        return JSONResponse(body, status_code=200 if n_up else 503)

    async def metrics(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def flush_route(self, request: Request) -> Response:
        await self.flush()
        return JSONResponse({"flushed": True})


async def _read_body(request: Request, limit: int) -> bytes | Response:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return _error(413, f"request body of {int(declared)} bytes is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _error(413, f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str, request_id: str | None = None) -> Response:
    headers = {"X-Request-Id": request_id} if request_id else None
    return JSONResponse({"error_code": "BAD_REQUEST" if status < 500 else "UNAVAILABLE", "message": message},
                        status_code=status, headers=headers)


def create_app(cfg: dict[str, Any]) -> Starlette:
    """The gateway's ASGI app for one service config (see :mod:`.service`)."""
    gw = Gateway(cfg)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gw.start()
        try:
            yield
        finally:
            await gw.stop()

    async def ping(request: Request) -> Response:
        return Response("\n", media_type="text/plain")

    routes = [
        Route("/invocations", gw.invocations, methods=["POST"]),
        Route("/feedback", gw.feedback_route, methods=["POST"]),
        Route("/health", gw.health, methods=["GET"]),
        Route("/ping", ping, methods=["GET"]),
        Route("/metrics", gw.metrics, methods=["GET"]),
        Route("/flush", gw.flush_route, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gw
    return app


class FastPath:
    """The ASGI app uvicorn runs: ``POST /invocations`` goes straight to the gateway, past
    Starlette's middleware and router (about a fifth of the gateway's CPU per request);
    everything else (other routes, the lifespan) to the Starlette app. An exception still
    becomes uvicorn's plain 500, as under Starlette's error middleware."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.gateway: Gateway = app.state.gateway

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/invocations" and scope["method"] == "POST":
            response = await self.gateway.invocations(Request(scope, receive))
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def main(argv: list[str] | None = None) -> int:
    """``python -m mlops_jupyter.serving.gateway CONFIG.json``: serve until SIGTERM/SIGINT."""
    import uvicorn

    args = sys.argv[1:] if argv is None else argv
    cfg = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    uvicorn.run(FastPath(create_app(cfg)), host=cfg.get("host", "127.0.0.1"), port=int(cfg["port"]),
                log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=10, proxy_headers=False,
                timeout_keep_alive=int(cfg.get("keep_alive", SERVER_KEEP_ALIVE_S)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
