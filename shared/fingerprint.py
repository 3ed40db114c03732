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
    return _fingerprint(tuple(sorted(labels.items(), key=lambda item: item[0].encode())))


# Re-sent alerts repeat their label sets; the byte loop below is the costly part.
@functools.lru_cache(maxsize=65_536)
def _fingerprint(items: tuple[tuple[str, str], ...]) -> str:
    digest = _FNV_OFFSET
    for name, value in items:
        for part in (name.encode(), value.encode()):
            for byte in part:
                digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
            digest = ((digest ^ _SEPARATOR) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"
