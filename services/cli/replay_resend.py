"""Re-sent payloads, normalized once.

Alertmanager re-sends a group's firing alerts every repeat interval, so most lines of an
export repeat an earlier line byte for byte but for `received_at`. Such a line gives the
earlier line's alerts with its own receive time, provided the receive time gave them nothing
else (`stamped_only`). The normalizing side (`normalize_lines`, here or in a worker) knows a
repeat by the bytes after `received_at` and passes `Resent(original)` instead of parsing and
normalizing it again; the engine's side (`originals`) keeps the latest `HORIZON` results and
hands on the original's alerts, flagged, for the replay to restamp only those the engine
needs afresh (`resolve_resends` restamps them all). Both sides count positions alike, so only
a position crosses between processes, never the alerts again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from services.cli.replay_input import parse_payload, parse_time
from services.cli.replay_normalize import (
    Normalized,
    NormalizedPayload,
    PayloadNormalizer,
    Skipped,
)
from services.ingest.normalizers import stamped_only
from shared.alerts import Alert

# Lines: a re-send is recognized when it comes back within this many lines of the last time
# (a repeat interval of a large export); memory on each side is bounded by it.
HORIZON = 4096
_PREFIX = b'{"received_at":"'
_new = object.__new__
_set = object.__setattr__


class Resent(NamedTuple):
    """The payload at position `original` again, received at its own time."""

    original: int


# (position in received_at order, received_at, what the payload gave or repeats)
SentPayload = tuple[int, datetime, Normalized | Skipped | Resent]


def split_line(raw: bytes) -> tuple[str, bytes] | None:
    """(received_at text, the rest) of a line that starts with its `received_at` and whose rest
    cannot set it again: no `received_at` in it, and no `\\u` escape that could spell one
    (last key wins in JSON). Any other line is normalized whatever it repeats."""
    if not raw.startswith(_PREFIX):
        return None
    end = raw.find(b'"', len(_PREFIX))
    if end < 0:
        return None
    rest = raw[end + 1 :]
    if b"received_at" in rest or b"\\u" in rest:
        return None
    return raw[len(_PREFIX) : end].decode(), rest


class ResendIndex:
    """Rest of a line -> position of the latest line with that rest whose alerts can be
    reused, for the last `HORIZON` positions."""

    def __init__(self) -> None:
        self._latest: dict[bytes, int] = {}
        self._order: deque[tuple[int, bytes]] = deque()

    def original(self, rest: bytes, position: int) -> int | None:
        found = self._latest.get(rest)
        return found if found is not None and position - found < HORIZON else None

    def remember(self, rest: bytes, position: int) -> None:
        self._latest[rest] = position
        self._order.append((position, rest))
        while self._order[0][0] <= position - HORIZON:
            old, old_rest = self._order.popleft()
            if self._latest.get(old_rest) == old:
                del self._latest[old_rest]


def normalize_lines(
    lines: Iterable[tuple[int, bytes, str]], normalizer: PayloadNormalizer, index: ResendIndex
) -> Iterator[SentPayload]:
    """(position, line, file:line) in received_at order -> what each payload gave, a repeat
    of a recent line as `Resent` (its `received_at` parsed as `parse_payload` would)."""
    for position, raw, where in lines:
        split = split_line(raw)
        if split is not None:
            original = index.original(split[1], position)
            if original is not None:
                index.remember(split[1], position)
                yield position, parse_time(split[0], where), Resent(original)
                continue
        payload = parse_payload(position, raw, where)
        normalized = normalizer.normalize(payload)
        if split is not None and _reusable(normalized):
            index.remember(split[1], position)
        yield position, payload.received_at, normalized


def _reusable(normalized: Normalized | Skipped) -> bool:
    return isinstance(normalized, Normalized) and all(map(stamped_only, normalized.alerts))


def resolve_resends(payloads: Iterable[SentPayload]) -> Iterator[NormalizedPayload]:
    """Every `Resent` replaced by its original's alerts, received at its own time."""
    for position, received_at, normalized, resent in originals(payloads):
        if resent:
            assert isinstance(normalized, Normalized)
            normalized = restamped(normalized, received_at)
        yield position, received_at, normalized


# (position, received_at, what the payload gave, whether those are an earlier payload's alerts)
OriginalPayload = tuple[int, datetime, Normalized | Skipped, bool]


def originals(payloads: Iterable[SentPayload]) -> Iterator[OriginalPayload]:
    """Every `Resent` replaced by its original's alerts as they are, flagged: their
    `received_at` is the original's, not this payload's (`restamped` gives them this one's).
    Most re-sent alerts only repeat what the engine knows, and need no copy."""
    recent: list[tuple[int, Normalized] | None] = [None] * HORIZON
    for position, received_at, normalized in payloads:
        resent = False
        if isinstance(normalized, Resent):
            resent = True
            kept = recent[normalized.original % HORIZON]
            if kept is None or kept[0] != normalized.original:
                raise LookupError(f"payload {position} repeats {normalized.original}, not kept")
            normalized = kept[1]
        if isinstance(normalized, Normalized):
            recent[position % HORIZON] = (position, normalized)
        yield position, received_at, normalized, resent


def restamped(normalized: Normalized, received_at: datetime) -> Normalized:
    alerts = tuple(restamped_alert(alert, received_at) for alert in normalized.alerts)
    return normalized._replace(alerts=alerts)


def restamped_alert(alert: Alert, received_at: datetime) -> Alert:
    """The alert with another `received_at`, as `model_copy(update=...)` makes it, at a sixth
    of the cost: every value comes from a validated alert (a unit test holds them equal)."""
    copy = _new(Alert)
    _set(copy, "__dict__", {**alert.__dict__, "received_at": received_at})
    _set(copy, "__pydantic_fields_set__", alert.__pydantic_fields_set__ | {"received_at"})
    _set(copy, "__pydantic_extra__", None)
    _set(copy, "__pydantic_private__", None)
    return copy
