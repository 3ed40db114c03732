"""Request bodies sent compressed (`Content-Encoding: gzip` or `deflate`), as log shippers and
some HTTP clients do: decompressed with the same size limit as a plain body, so a small
compressed body cannot expand past it. Any other coding is refused by name (415)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

# zlib's window bits: gzip framing, and zlib framing for `deflate` (RFC 9110 §8.4.1.2).
_GZIP_BITS = 16 + zlib.MAX_WBITS
_WINDOW_BITS = {"gzip": _GZIP_BITS, "x-gzip": _GZIP_BITS, "deflate": zlib.MAX_WBITS}
SUPPORTED = ("gzip", "deflate", "identity")


@dataclass(frozen=True)
class EncodingRefused:
    status: int  # 415 unknown coding, 413 too large once decompressed, 400 corrupt
    message: str


def decoded(raw: bytes, header: str | None, limit: int) -> bytes | EncodingRefused:
    """`raw` with the codings `header` lists undone, last applied first; at most `limit` bytes."""
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    body = raw
    for coding in reversed(codings):
        if coding == "identity":
            continue
        bits = _WINDOW_BITS.get(coding)
        if bits is None:
            shown = coding[:40]
            return EncodingRefused(
                415, f"Content-Encoding {shown!r} is not supported (use {', '.join(SUPPORTED)})"
            )
        undone = _inflated(body, coding, bits, limit)
        if isinstance(undone, EncodingRefused):
            return undone
        body = undone
    return body


def _inflated(data: bytes, coding: str, bits: int, limit: int) -> bytes | EncodingRefused:
    """One coding undone. A gzip body may be several members, one after another (RFC 1952
    §2.2: `cat a.gz b.gz`), each decompressed in turn; anything else after the end is refused,
    never ignored."""
    parts: list[bytes] = []
    size, rest = 0, data
    while True:
        inflater = zlib.decompressobj(bits)
        try:
            part = inflater.decompress(rest, limit + 1 - size)
        except zlib.error as broken:
            return EncodingRefused(400, f"the {coding} body does not decompress: {broken}")
        size += len(part)
        parts.append(part)
        if size > limit or inflater.unconsumed_tail:
            return EncodingRefused(413, f"the body exceeds {limit} bytes once decompressed")
        if not inflater.eof:
            return EncodingRefused(400, f"the {coding} body is truncated")
        rest = inflater.unused_data
        if not rest:
            return b"".join(parts)
        if bits != _GZIP_BITS:
            return EncodingRefused(400, f"the {coding} body has data after its end")
