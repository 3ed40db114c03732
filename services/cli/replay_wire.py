"""What a normalizing worker sends back: a chunk of normalized payloads as one JSON document.

Pickling pydantic alerts cost the workers about 16 µs per alert and this process 8 µs to take
back (and the thread that takes results holds the interpreter meanwhile); orjson writes a
chunk's alerts as plain values at about 1 µs each, and `decode_chunk` rebuilds them as
`unvalidated_alert` built them. Every value crosses unchanged: strings, label maps in their
order, UTC datetimes (ISO text, offset kept), severities and layers by value. A chunk orjson
cannot write (say a string with a lone surrogate) is pickled instead.
"""

from __future__ import annotations

import pickle
from datetime import datetime
from typing import Any

import orjson

from services.cli.replay_normalize import Normalized, Skipped
from services.cli.replay_resend import Resent, SentPayload
from shared.alerts import Alert, Layer, Severity

_FIELDS = tuple(Alert.model_fields)
_ALL_SET = frozenset(_FIELDS)
# The order `_alert` spells the fields out in: an `Alert` with other fields fails here.
_ORDER = (
    *("fingerprint", "status", "severity", "layer", "service", "team", "labels"),
    *("annotations", "starts_at", "ends_at", "summary", "generator_url", "source"),
    *("integration", "received_at"),
)
assert _ORDER == _FIELDS, _FIELDS
_SEVERITY = {member.value: member for member in Severity}
_LAYER = {member.value: member for member in Layer}
_from_iso = datetime.fromisoformat
_new = object.__new__
_set = object.__setattr__
_RESENT, _SKIPPED, _NORMALIZED = 0, 1, 2


def encode_chunk(payloads: list[SentPayload]) -> bytes:
    """A chunk of normalized payloads, for `decode_chunk` in the process running the engine."""
    try:
        return orjson.dumps([_entry(payload) for payload in payloads])
    except (TypeError, orjson.JSONEncodeError):
        return pickle.dumps(payloads, protocol=pickle.HIGHEST_PROTOCOL)


def _entry(payload: SentPayload) -> list[Any]:
    position, received_at, normalized = payload
    if isinstance(normalized, Resent):
        return [position, received_at, _RESENT, normalized.original]
    if isinstance(normalized, Skipped):
        return [position, received_at, _SKIPPED, normalized.reason]
    alerts = [_values(alert) for alert in normalized.alerts]
    counts = normalized.watchdogs
    return [
        position,
        received_at,
        _NORMALIZED,
        alerts,
        normalized.keys,
        counts,
        normalized.check_ins,
        normalized.indices,
    ]


def _values(alert: Alert) -> list[Any]:
    values = list(map(alert.__dict__.__getitem__, _FIELDS))
    unset = _ALL_SET - alert.__pydantic_fields_set__
    return [*values, sorted(unset)] if unset else values


def decode_chunk(data: bytes) -> list[SentPayload]:
    if data.startswith(b"["):
        return [_payload(entry) for entry in orjson.loads(data)]
    decoded: list[SentPayload] = pickle.loads(data)  # noqa: S301 - our own worker's bytes
    return decoded


def _payload(entry: list[Any]) -> SentPayload:
    received_at = _from_iso(entry[1])
    kind = entry[2]
    if kind == _RESENT:
        return entry[0], received_at, Resent(entry[3])
    if kind == _SKIPPED:
        return entry[0], received_at, Skipped(entry[3])
    alerts = tuple(_alert(values) for values in entry[3])
    check_ins = tuple((name, key) for name, key in entry[6])
    normalized = Normalized(alerts, tuple(entry[4]), entry[5], check_ins, tuple(entry[7]))
    return entry[0], received_at, normalized


def _alert(values: list[Any]) -> Alert:
    fingerprint, status, severity, layer, service, team, labels, annotations = values[:8]
    starts_at, ends_at, summary, generator_url, source, integration, received_at = values[8:15]
    unset = values[15:]
    alert = _new(Alert)
    _set(
        alert,
        "__dict__",
        {
            "fingerprint": fingerprint,
            "status": status,
            "severity": _SEVERITY[severity],
            "layer": _LAYER[layer],
            "service": service,
            "team": team,
            "labels": labels,
            "annotations": annotations,
            "starts_at": _from_iso(starts_at),
            "ends_at": None if ends_at is None else _from_iso(ends_at),
            "summary": summary,
            "generator_url": generator_url,
            "source": source,
            "integration": integration,
            "received_at": _from_iso(received_at),
        },
    )
    _set(
        alert, "__pydantic_fields_set__", set(_ALL_SET.difference(*unset)) if unset else {*_FIELDS}
    )
    _set(alert, "__pydantic_extra__", None)
    _set(alert, "__pydantic_private__", None)
    return alert
