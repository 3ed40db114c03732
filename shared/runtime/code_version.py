"""A fingerprint of the whole project's source: the state format of snapshots whose shape is
not known (see `state_shape`).

A snapshot is a pickle of state classes; code that changed since it was written may read it
wrongly without failing. With this fingerprint any change to the project's source makes a new
format, and the state is then rebuilt from the input instead: slower once, never wrong.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

_PACKAGES = ("services", "shared")


@functools.cache
def code_fingerprint() -> str:
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for package in _PACKAGES:
        for source in sorted((root / package).rglob("*.py")):
            digest.update(str(source.relative_to(root)).encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
