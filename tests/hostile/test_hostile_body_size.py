"""Bodies too large, or nested too deep, over real HTTP against `tocsin up`: 413 before the
whole body is read (declared by Content-Length, or streamed chunked with no length and no end),
and a precise 4xx for JSON nested 100k levels deep: never a 5xx, never a hang."""

from __future__ import annotations

import httpx
import pytest

from tests.hostile.hostile_app import (
    BODY_LIMIT,
    PD_KEY,
    Tocsin,
    body_of,
    raw_exchange,
    status_of,
)
from tests.hostile.hostile_bodies import (
    PARSERS,
    SIZED,
    Target,
    each,
    names_the_body,
    post,
)

SILENCE_S = 2.0  # how long a raw socket waits for an answer the server owes before the body


# --- size: 413 before the whole body is read --------------------------------------------------


def _head(target: Target, tocsin: Tocsin, framing: str) -> bytes:
    lines = [f"POST {target.url(tocsin)} HTTP/1.1", "Host: tocsin.test"]
    lines += [
        f"{k}: {v}" for k, v in {**target.headers, "Content-Type": "application/json"}.items()
    ]
    lines.append(framing)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _opening() -> bytes:
    """The start of a body; PagerDuty reads its credential there, so it comes first."""
    return b'{"routing_key": "%s", "pad": "' % PD_KEY.encode()


@each(SIZED)
def test_a_declared_length_over_the_limit_is_413_before_the_body_is_sent(
    tocsin: Tocsin, target: Target
) -> None:
    declared = 100 * 1024 * 1024  # 100 MiB announced, 1 KiB sent: the rest never comes
    head = _head(target, tocsin, f"Content-Length: {declared}")

    answer = raw_exchange(tocsin.base, head + _opening() + b"x" * 1024, timeout_s=SILENCE_S)

    assert status_of(answer) == 413, f"{target.name}: {answer[:300]!r}"
    assert "exceeds" in body_of(answer) or "too large" in body_of(answer)


@each(SIZED)
def test_a_chunked_body_over_the_limit_is_413_before_it_ends(
    tocsin: Tocsin, target: Target
) -> None:
    head = _head(target, tocsin, "Transfer-Encoding: chunked")
    piece = b"x" * 65_536
    chunks = [b"%x\r\n%s\r\n" % (len(c), c) for c in [_opening(), *[piece] * 20]]
    assert sum(len(c) for c in chunks) > BODY_LIMIT  # and no terminating chunk: it never ends

    answer = raw_exchange(tocsin.base, head, then=chunks, timeout_s=SILENCE_S)

    assert status_of(answer) == 413, f"{target.name}: {answer[:300]!r}"


# --- nesting ----------------------------------------------------------------------------------


@each(PARSERS)
@pytest.mark.parametrize(
    "nested",
    [b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
    ids=["100k-arrays", "50k-objects"],
)
def test_json_nested_100k_deep_is_a_4xx_naming_the_body(
    client: httpx.Client, tocsin: Tocsin, target: Target, nested: bytes
) -> None:
    answer = post(client, tocsin, target, nested)

    names_the_body(answer)
