"""The HTTP channels' own client against a raw local server that answers byte for byte as a
test says: keep-alive reuse, servers closing idle connections, chunked and interim answers,
answers that are not HTTP, TLS, the per-host limit, and URLs or headers no request can carry.
Run on the default loop and on uvloop (what `tocsin up` runs)."""

from __future__ import annotations

import asyncio
import base64
import ssl
import subprocess
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import uvloop

from services.router.channels.delivery import Delivered, PermanentFailure, RetryableFailure
from services.router.channels.http_post import JsonPoster

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "RawServer"], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class RawServer:
    """Runs `script` on each connection; counts connections and keeps each request's head."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self.connections = 0
        self.heads: list[bytes] = []
        self.release = asyncio.Event()
        self.url = ""

    async def start(self, tls: ssl.SSLContext | None = None) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/hook"
        return self

    async def stop(self) -> None:
        self.release.set()
        self._server.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return await reader.readexactly(length)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self._script(reader, writer, self)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def keep_alive(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
) -> None:
    while True:
        await server.read_request(reader)
        writer.write(OK)


def on_both_loops(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[str], None]:
    @pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
    def run(loop: str) -> None:
        if loop == "uvloop":
            uvloop.run(test())
        else:
            asyncio.run(test())

    run.__name__ = test.__name__
    return run


async def post(poster: JsonPoster, url: str, headers: dict[str, str] | None = None) -> object:
    return await poster.post(url, b'{"page": 1}', headers or {}, 5.0)


@on_both_loops
async def test_answers_on_a_kept_alive_connection_reuse_it() -> None:
    server = await RawServer(keep_alive).start()
    poster = JsonPoster()
    outcomes = [await post(poster, server.url) for _ in range(3)]
    await poster.close()
    await server.stop()

    assert outcomes == [Delivered()] * 3
    assert server.connections == 1
    assert len(server.heads) == 3


@on_both_loops
async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    async def answer_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.read_request(reader)
        writer.write(OK)  # promises keep-alive (HTTP/1.1), then closes as idle
        await writer.drain()
        await asyncio.sleep(0.05)

    server = await RawServer(answer_then_close).start()
    poster = JsonPoster()
    first = await post(poster, server.url)
    await asyncio.sleep(0.2)
    second = await post(poster, server.url)
    await poster.close()
    await server.stop()

    assert (first, second) == (Delivered(), Delivered())
    assert server.connections == 2


@on_both_loops
async def test_connection_close_answers_and_interim_answers() -> None:
    async def continue_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        writer.write(b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await server.release.wait()

    server = await RawServer(continue_then_close).start()
    poster = JsonPoster()
    outcomes = [await post(poster, server.url) for _ in range(2)]
    await poster.close()
    await server.stop()

    assert outcomes == [Delivered()] * 2
    assert server.connections == 2  # "Connection: close" is obeyed


@on_both_loops
async def test_error_bodies_chunked_or_long_give_their_start_as_the_reason() -> None:
    async def errors(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.read_request(reader)
        writer.write(
            b"HTTP/1.1 503 Unavailable\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n"
            b"5\r\nbusy \r\n5\r\nnow. \r\n0\r\n\r\n"
        )
        await server.read_request(reader)  # the chunked answer was read whole: reused
        writer.write(b"HTTP/1.1 400 Bad\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000)
        await server.release.wait()

    server = await RawServer(errors).start()
    poster = JsonPoster()
    chunked = await post(poster, server.url)
    long = await post(poster, server.url)
    await poster.close()
    await server.stop()

    assert chunked == RetryableFailure("HTTP 503: busy now.", retry_after=3.0)
    assert long == PermanentFailure("HTTP 400: " + "x" * 200)
    assert server.connections == 1


@on_both_loops
async def test_an_answer_that_is_not_http_is_a_retryable_failure() -> None:
    async def ssh(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: RawServer) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
        await reader.read(1)

    server = await RawServer(ssh).start()
    poster = JsonPoster()
    outcome = await post(poster, server.url)
    await poster.close()
    await server.stop()

    assert isinstance(outcome, RetryableFailure)
    assert outcome.reason.startswith("connection failed: not an HTTP answer")


@on_both_loops
async def test_request_carries_host_credentials_escaped_path_and_signature_headers() -> None:
    server = await RawServer(keep_alive).start()
    poster = JsonPoster()
    port = server.url.split(":")[2].split("/")[0]
    url = f"http://bot:p%40ss@127.0.0.1:{port}/hooks/team a?x=1&y=é"
    outcome = await post(poster, url, {"X-Tocsin-Signature": "v1=abc"})
    await poster.close()
    await server.stop()

    assert outcome == Delivered()
    lines = server.heads[0].decode("latin-1").split("\r\n")
    assert lines[0] == "POST /hooks/team%20a?x=1&y=%C3%A9 HTTP/1.1"
    assert f"Host: 127.0.0.1:{port}" in lines
    assert f"Authorization: Basic {base64.b64encode(b'bot:p@ss').decode()}" in lines
    assert "X-Tocsin-Signature: v1=abc" in lines
    assert "Content-Type: application/json" in lines
    assert "Content-Length: 11" in lines


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "http:///hook", "http://example.com:99999/", "not a url", ""],
)
async def test_urls_no_request_can_go_to_are_permanent_failures(url: str) -> None:
    poster = JsonPoster()
    assert await post(poster, url) == PermanentFailure("request failed: invalid URL")
    await poster.close()


async def test_a_header_that_would_break_the_request_is_refused_not_sent() -> None:
    server = await RawServer(keep_alive).start()
    poster = JsonPoster()
    smuggled = await post(poster, server.url, {"X-Note": "a\r\nX-Other: b"})
    bad_name = await post(poster, server.url, {"X Note": "a"})
    await poster.close()
    await server.stop()

    assert smuggled == PermanentFailure("request failed: invalid header 'X-Note'")
    assert bad_name == PermanentFailure("request failed: invalid header 'X Note'")
    assert server.heads == []


async def test_at_most_the_per_host_limit_of_connections_are_open_at_once() -> None:
    answered = asyncio.Event()

    async def slow(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        while True:
            await server.read_request(reader)
            await answered.wait()
            writer.write(OK)

    server = await RawServer(slow).start()
    poster = JsonPoster(connections_per_host=2)
    posts = [asyncio.create_task(post(poster, server.url)) for _ in range(5)]
    await asyncio.sleep(0.2)
    open_while_waiting = server.connections
    answered.set()
    outcomes = await asyncio.gather(*posts)
    await poster.close()
    await server.stop()

    assert open_while_waiting == 2
    assert outcomes == [Delivered()] * 5
    assert len(server.heads) == 5


async def test_closing_under_a_request_fails_it_as_retryable() -> None:
    async def hang(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.read_request(reader)
        await server.release.wait()

    server = await RawServer(hang).start()
    poster = JsonPoster()
    pending = asyncio.create_task(post(poster, server.url))
    await asyncio.sleep(0.1)
    await poster.close()
    outcome = await pending
    after = await post(poster, server.url)
    await server.stop()

    assert outcome == RetryableFailure("connection failed: closed before an answer")
    assert after == RetryableFailure("the router is stopping")
    assert server.connections == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_is_verified_against_the_trusted_roots(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving.load_cert_chain(cert, key)
    server = await RawServer(keep_alive).start(tls=serving)
    trusting = ssl.create_default_context(cafile=str(cert))
    trusted, untrusted = JsonPoster(tls=trusting), JsonPoster()
    delivered = await post(trusted, server.url)
    refused = await post(untrusted, server.url)
    await trusted.close()
    await untrusted.close()
    await server.stop()

    assert delivered == Delivered()
    assert isinstance(refused, RetryableFailure)
    assert refused.reason.startswith("connection failed: TLS certificate refused")
