"""Alertmanager-compatible label-set fingerprints (FNV-1a 64, as Prometheus computes them)."""

from __future__ import annotations

from collections.abc import Mapping

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = 0xFF

# Re-sent alerts repeat their label sets, and the byte loop below costs about 20 µs for a
# common one. Only label sets of common size are kept, and at most _CACHE_SIZE of them (the
# oldest go first), so the cache stays within a few tens of megabytes whatever senders post.
_MAX_CACHED_CHARACTERS = 1024
_CACHE_SIZE = 16_384
_cache: dict[frozenset[tuple[str, str]], str] = {}


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """16 hex digits, equal to Alertmanager's `fingerprint` for the same labels."""
    # A frozenset of the items is the label set whatever the order: cheaper to make and hash
    # than the sorted tuple the hash itself needs, which only a label set not seen is sorted to.
    key = frozenset(labels.items())
    known = _cache.get(key)
    if known is not None:
        return known
    # Label names are unique and UTF-8 keeps code point order, so sorting the items by name as
    # text is Prometheus' sort by name bytes (unpaired surrogates never reach this far).
    fingerprint = _fingerprint(tuple(sorted(labels.items())))
    if sum(map(len, labels)) + sum(map(len, labels.values())) <= _MAX_CACHED_CHARACTERS:
        if len(_cache) >= _CACHE_SIZE:
            del _cache[next(iter(_cache))]
        _cache[key] = fingerprint
    return fingerprint


def _fingerprint(items: tuple[tuple[str, str], ...]) -> str:
    digest = _FNV_OFFSET
    for name, value in items:
        for part in (name.encode(), value.encode()):
            for byte in part:
                digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
            digest = ((digest ^ _SEPARATOR) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"
