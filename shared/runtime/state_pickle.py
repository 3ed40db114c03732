"""Pickling partition state for snapshots, and reading it back with only known classes.

A snapshot is read from the log, so whoever can write the state topic could otherwise have
any callable run at unpickling. The reader accepts classes only (never functions), and only
the project's own (`services`, `shared`) and a few plain value types of the standard library.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

_PROJECT = ("services.", "shared.")
_STANDARD = {
    "builtins": {"set", "frozenset", "object"},
    "collections": {"OrderedDict", "deque", "Counter"},
    "datetime": {"datetime", "date", "time", "timedelta", "timezone"},
    "uuid": {"UUID", "SafeUUID"},
    "zoneinfo": {"ZoneInfo"},
    "copyreg": {"_reconstructor"},
    "pydantic_core._pydantic_core": {"TzInfo"},  # the zone of times pydantic parsed
}


class UnknownClass(pickle.UnpicklingError):
    """The snapshot names something the state never holds."""


class _KnownClasses(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name in _STANDARD.get(module, ()):
            return super().find_class(module, name)
        if module.startswith(_PROJECT):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise UnknownClass(f"{module}.{name} is not a state class")


def dump_state(state: object) -> bytes:
    return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)


def load_state(data: bytes) -> Any:
    return _KnownClasses(io.BytesIO(data)).load()
