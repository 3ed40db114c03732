"""Key → partition, computed by Tocsin itself so both backends place records alike."""

from __future__ import annotations

import hashlib


def partition_for(key: str, partitions: int) -> int:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions
