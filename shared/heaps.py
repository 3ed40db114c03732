"""Reading a binary heap without popping it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

Entry = TypeVar("Entry", bound=tuple[Any, ...])


def entries_until(heap: Sequence[Entry], bound: Any) -> Iterator[Entry]:
    """The entries whose first item is <= `bound`, in no particular order. The heap property
    keeps them a subtree from the top, so only that subtree is walked."""
    stack = [0] if heap else []
    while stack:
        index = stack.pop()
        if index >= len(heap) or heap[index][0] > bound:
            continue
        yield heap[index]
        stack += (2 * index + 1, 2 * index + 2)
