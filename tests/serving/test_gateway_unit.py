"""Gateway pieces without MLflow: the forward retry, the stable split."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mlops_jupyter.serving.gateway import Arm, Gateway, arm_of
from mlops_jupyter.serving.upstream import Reply


def test_a_connection_closed_under_the_gateway_is_retried_once(tmp_path: Path) -> None:
    """Regression: a kept-alive connection closed by the scoring server as the gateway reused
    it (a ReadError) failed the request with 503 (2 of 5000 in the load test)."""
    seen: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen.append(1)
        if len(seen) == 1:  # the first connection dies without an answer
            writer.close()
            return
        body = b'{"predictions": [1]}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    async def run() -> Reply:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        gw = Gateway({"folder": str(tmp_path), "arms": [{"name": "champion", "url": f"http://127.0.0.1:{port}"}]})
        try:
            return await gw._forward(gw.arms["champion"], b'{"inputs": [[1]]}', "application/json")
        finally:
            await gw.arms["champion"].upstream.aclose()
            server.close()

    resp = asyncio.run(run())
    assert resp.status == 200 and len(seen) == 2


def test_split_is_a_stable_share() -> None:
    arms = [arm_of(f"user-{i}", 0.2) for i in range(5000)]
    assert 0.18 < arms.count("challenger") / 5000 < 0.22
    assert arm_of("user-1", 0.2) == arm_of("user-1", 0.2)
    assert all(arm_of(f"k{i}", 0.0) == "champion" for i in range(100))
    assert isinstance(Arm({"name": "a", "url": "http://x/"}).url, str)
