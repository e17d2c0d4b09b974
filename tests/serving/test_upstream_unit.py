"""The gateway's client to its scoring servers, against small real asyncio HTTP servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mlops_jupyter.serving.upstream import Upstream, UpstreamError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    return await reader.readexactly(length)


def _with_server(handler: Handler, body: Callable[[int], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        try:
            return await body(server.sockets[0].getsockname()[1])
        finally:
            server.close()

    return asyncio.run(run())


def test_requests_reuse_one_kept_alive_connection_and_echo_the_body() -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                got = await _read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(got), got))
        except asyncio.IncompleteReadError:
            writer.close()

    async def body(port: int) -> list[Any]:
        up = Upstream("127.0.0.1", port)
        try:
            return [await up.request("POST", "/invocations", b'{"i": %d}' % i, "application/json") for i in range(5)]
        finally:
            await up.aclose()

    replies = _with_server(handler, body)
    assert [r.content for r in replies] == [b'{"i": %d}' % i for i in range(5)]
    assert replies[0].status == 200 and replies[0].headers["content-type"] == "application/json"
    assert len(connections) == 1


def test_chunked_replies_and_connection_close_are_read_whole() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 500 Internal Server Error\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                     b"5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def body(port: int) -> Any:
        up = Upstream("127.0.0.1", port)
        reply = await up.request("POST", "/invocations", b"{}")
        return reply, len(up._idle)

    reply, idle = _with_server(handler, body)
    assert (reply.status, reply.text, idle) == (500, "hello world", 0)


def test_an_idle_connection_is_dropped_by_the_client_before_the_server_would() -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                await _read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        except asyncio.IncompleteReadError:
            writer.close()

    async def body(port: int) -> None:
        up = Upstream("127.0.0.1", port, idle_s=0.2)
        await up.request("GET", "/ping")
        await asyncio.sleep(0.3)
        await up.request("GET", "/ping")
        await up.aclose()

    _with_server(handler, body)
    assert len(connections) == 2


def test_refused_and_silent_servers_are_upstream_errors() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(UpstreamError, match="cannot connect"):
            asyncio.run(Upstream("127.0.0.1", port).request("GET", "/ping"))

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers; ends when the client hangs up
        writer.close()

    async def body(port: int) -> None:
        await Upstream("127.0.0.1", port).request("GET", "/ping", timeout=0.3)

    with pytest.raises(UpstreamError, match=r"did not answer within 0\.3 s"):
        _with_server(silent, body)
