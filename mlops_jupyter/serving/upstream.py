"""The gateway's HTTP/1.1 client towards its scoring servers: kept-alive connections per arm.

The gateway forwards every request to a scoring server on 127.0.0.1, so its client is on
the request path twice (send, receive). httpx costs about a millisecond of CPU per request
there (its pool, anyio, h11 and, without ``sniffio`` installed, a failed import per
request); this client writes the request in one ``write`` and reads the reply with
asyncio streams. It speaks only what ``mlflow models serve`` (uvicorn) answers:
``Content-Length`` or chunked bodies, keep-alive.

Keep-alive ordering: an idle connection is dropped here after ``idle_s`` (shorter than the
scoring server's keep-alive, see :mod:`.processes`), so the server never closes one as we
reuse it. Should it happen anyway (a server restarted on the same port), a request whose
connection ends before any byte of the reply comes back is sent once more on a new
connection (a prediction is idempotent).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


class UpstreamError(Exception):
    """The scoring server could not be reached, closed the connection or timed out."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.writer.close()


class Upstream:
    """Kept-alive connections to one ``host:port``."""

    def __init__(self, host: str, port: int, timeout: float = 60.0, idle_s: float = 30.0, max_idle: int = 50) -> None:
        self.host, self.port, self.timeout, self.idle_s, self.max_idle = host, port, timeout, idle_s, max_idle
        self._idle: list[_Conn] = []

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str | None = None,
                      timeout: float | None = None) -> Reply:
        head = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}", f"content-length: {len(body)}"]
        if content_type:
            head.append(f"content-type: {content_type}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        limit = self.timeout if timeout is None else timeout
        conn = self._reuse() or await self._connect(limit)
        try:
            return await self._exchange(conn, data, limit)
        except _NothingBack:  # closed before any reply (e.g. by the server as we reused it)
            pass
        conn = await self._connect(limit)
        try:
            return await self._exchange(conn, data, limit)
        except _NothingBack as exc:
            raise UpstreamError(f"{self.host}:{self.port} closed the connection without a reply") from exc

    def _reuse(self) -> _Conn | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if now - conn.idle_since < self.idle_s and not conn.reader.at_eof() and not conn.writer.is_closing():
                return conn
            conn.close()
        return None

    async def _connect(self, limit: float) -> _Conn:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), limit)
        except (TimeoutError, OSError) as exc:
            raise UpstreamError(f"cannot connect to {self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc
        return _Conn(reader, writer)

    async def _exchange(self, conn: _Conn, data: bytes, limit: float) -> Reply:
        try:
            conn.writer.write(data)
            reply, keep = await asyncio.wait_for(_read_reply(conn.reader), limit)
        except _NothingBack:
            conn.close()
            raise
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            conn.close()
            raise UpstreamError(f"{self.host}:{self.port} did not answer within {limit:g} s") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            conn.close()
            raise UpstreamError(f"{self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc
        except BaseException:  # cancelled mid-reply: the connection is in an unknown state
            conn.close()
            raise
        if keep and len(self._idle) < self.max_idle:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()
        return reply

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()


class _NothingBack(Exception):
    """The connection ended before the first byte of a reply."""


async def _read_reply(reader: asyncio.StreamReader) -> tuple[Reply, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _NothingBack() from exc
        raise
    except ConnectionResetError as exc:
        raise _NothingBack() from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    keep = headers.get("connection", "").lower() != "close" and parts[0] == "HTTP/1.1"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        content = b"".join(chunks)
    elif "content-length" in headers:
        content = await reader.readexactly(int(headers["content-length"]))
    elif status in (204, 304) or 100 <= status < 200:
        content = b""
    else:  # delimited by the end of the connection
        content, keep = await reader.read(), False
    return Reply(status, headers, content), keep
