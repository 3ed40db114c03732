"""A fingerprint of the shape of a processor's state, so snapshots outlive unrelated upgrades.

A snapshot can be read by any code whose state classes are the ones that wrote it: the same
fields with the same types. So the fingerprint covers the source of every project class the
state can hold (found through the type hints of its fields, from the processor's declared
roots), and of the processor's own `state_to_snapshot` and `restore_state`; not the logic
that decides. A change to decision logic keeps the snapshots: the state then matches the
outputs already on the log, which a rebuild by the new logic would not.

When the shape cannot be read (a hint that does not resolve), the whole source of the project
is the fingerprint instead: any upgrade then rebuilds from the input.
"""

from __future__ import annotations

import hashlib
import inspect
import threading
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from shared.runtime.code_version import code_fingerprint

PROJECT_PACKAGES = ("services.", "shared.")

# `inspect.getsource` runs `ast.parse`, which Python 3.11 (before 3.11.8) cannot run in two
# threads at once: one raises `SystemError: AST constructor recursion depth mismatch`. The
# read model works its format out in a thread while the runners work out theirs on the loop.
_PARSING = threading.Lock()


def shape_fingerprint(
    roots: Iterable[type],
    accessors: Iterable[Callable[..., Any]],
    packages: tuple[str, ...] = PROJECT_PACKAGES,
) -> str:
    """The fingerprint of the state reachable from `roots` (through classes of `packages`),
    written and read by `accessors`."""
    try:
        closure = _closure(roots, packages)
        with _PARSING:
            sources = {f"{c.__module__}.{c.__qualname__}": _source(c) for c in closure}
            sources.update({f"{f.__module__}.{f.__qualname__}": _source(f) for f in accessors})
    except (NameError, TypeError, OSError):
        return code_fingerprint()
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(f"{name}\n{sources[name]}\n".encode())
    return digest.hexdigest()[:16]


def _closure(roots: Iterable[type], packages: tuple[str, ...]) -> list[type]:
    """The project classes reachable from `roots` through field type hints and base classes."""
    found: dict[str, type] = {}
    pending = list(roots)
    while pending:
        cls = pending.pop()
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name in found or not cls.__module__.startswith(packages):
            continue
        found[name] = cls
        pending.extend(base for base in cls.__mro__[1:] if base is not object)
        for hint in typing.get_type_hints(cls).values():
            pending.extend(_classes_in(hint))
    return list(found.values())


def _classes_in(hint: object) -> Iterator[type]:
    if isinstance(hint, type):
        yield hint
    for argument in typing.get_args(hint):
        yield from _classes_in(argument)


def _source(item: type | Callable[..., Any]) -> str:
    return inspect.getsource(item)
