"""Alertmanager-compatible label-set fingerprints (FNV-1a 64, as Prometheus computes them)."""

from __future__ import annotations

import functools
from collections.abc import Mapping

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = 0xFF


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """16 hex digits, equal to Alertmanager's `fingerprint` for the same labels."""
    # Label names are unique and UTF-8 keeps code point order, so sorting the items by name as
    # text is Prometheus' sort by name bytes (unpaired surrogates never reach this far).
    items = tuple(sorted(labels.items()))
    if sum(map(len, labels)) + sum(map(len, labels.values())) <= _MAX_CACHED_CHARACTERS:
        return _cached_fingerprint(items)
    return _fingerprint(items)


# Re-sent alerts repeat their label sets; the byte loop below is the costly part. Only
# label sets of common size are kept, so the cache stays within a few tens of megabytes
# whatever label values senders post.
_MAX_CACHED_CHARACTERS = 1024


@functools.lru_cache(maxsize=16_384)
def _cached_fingerprint(items: tuple[tuple[str, str], ...]) -> str:
    return _fingerprint(items)


def _fingerprint(items: tuple[tuple[str, str], ...]) -> str:
    digest = _FNV_OFFSET
    for name, value in items:
        for part in (name.encode(), value.encode()):
            for byte in part:
                digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
            digest = ((digest ^ _SEPARATOR) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"
