"""Alertmanager-compatible label-set fingerprints (FNV-1a 64, as Prometheus computes them)."""

from __future__ import annotations

from collections.abc import Mapping

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = 0xFF


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """16 hex digits, equal to Alertmanager's `fingerprint` for the same labels."""
    digest = _FNV_OFFSET
    for name in sorted(labels, key=lambda n: n.encode()):
        for part in (name.encode(), labels[name].encode()):
            for byte in part:
                digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
            digest = ((digest ^ _SEPARATOR) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"
