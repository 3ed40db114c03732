"""The canonical reader's fast path: a body read in one pass with no error bookkeeping, taken
only when every alert is valid.

`canonical.py` reads each field through `Problems`, which names the path and reason of every
problem: that cost most of ingest's normalizing time per alert, yet a valid body, the usual
case, needs none of it. `valid_alerts` checks the same rules inline and gives up (None) at the
first doubt; the caller then reads the body the slow way, which reports every problem. So
every rule is written twice, and the two must agree: the property tests in
`tests/unit/normalizers/test_canonical_fast_path.py` hold `valid_drafts` to give either None
or exactly the drafts of the slow reader, on arbitrary and on mutated bodies, and
`valid_alerts` to give the alerts of those drafts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.ingest.normalizers.assemble import assemble
from services.ingest.normalizers.canonical_fields import (
    ALIASES,
    FIELDS,
    FINGERPRINT,
    LAYERS,
    SEVERITIES,
    AlertDraft,
)
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import (
    GO_ZERO_TIME,
    StartBounds,
    encodes,
    parse_timestamp,
    start_bounds,
)
from services.ingest.normalizers.limits import Limits
from shared.alerts import Alert, AlertStatus, Layer, Severity

_STATUS: dict[str, AlertStatus] = {"firing": "firing", "resolved": "resolved"}
# Names seen to have the label name syntax: alerts repeat a few names, and one set lookup
# costs less than checking the syntax again. Bounded, whatever names senders make up.
_LABEL_NAMES: set[str] = set()
_MAX_LABEL_NAMES = 4096


class _Doubt(Exception):
    """Something in the body may be invalid: the slow reader will say what."""


def valid_alerts(body: Any, ctx: NormalizeContext) -> tuple[Alert, ...] | None:
    """The alerts of a body that is valid whole; None if anything may be wrong with it.

    Each alert is assembled as soon as it is read, while its objects are at hand: reading
    them all first and assembling them after cost more per alert the larger the batch.
    """
    if not encodes(body):  # first: no string to hash may hold an unpaired surrogate
        return None
    limits, bounds = ctx.limits, start_bounds(ctx.received_at, ctx.resolve_timeout)
    try:
        items = _items(body, limits)
        return tuple([assemble(_draft(item, limits, bounds), ctx) for item in items])
    except _Doubt:
        return None


def valid_drafts(body: Any, ctx: NormalizeContext) -> list[AlertDraft] | None:
    """The drafts of a body that is valid whole; None if anything may be wrong with it."""
    if not encodes(body):
        return None
    limits, bounds = ctx.limits, start_bounds(ctx.received_at, ctx.resolve_timeout)
    try:
        return [_draft(item, limits, bounds) for item in _items(body, limits)]
    except _Doubt:
        return None


def _items(body: Any, limits: Limits) -> list[Any]:
    if type(body) is dict:
        return [body]
    if type(body) is list and len(body) <= limits.max_alerts_per_request:
        return body
    raise _Doubt


def _draft(item: Any, limits: Limits, bounds: StartBounds) -> AlertDraft:
    if type(item) is not dict or not item.keys() <= FIELDS:
        raise _Doubt
    starts_at, ends_at = _time(item, "starts_at"), _time(item, "ends_at")
    if starts_at is not None:  # not later than `check_start` allows, nor after the end
        if ends_at is None:
            if starts_at > bounds.without_end:
                raise _Doubt
        elif starts_at > bounds.with_end or ends_at < starts_at:
            raise _Doubt
    severity, layer = item.get("severity"), item.get("layer")
    if severity is not None and (type(severity) is not str or severity not in SEVERITIES):
        raise _Doubt
    if layer is not None and (type(layer) is not str or layer not in LAYERS):
        raise _Doubt
    return AlertDraft(
        _labels(item.get("labels"), limits),
        _annotations(item.get("annotations"), limits),
        _status(item.get("status")),
        starts_at,
        ends_at,
        _fingerprint(item.get("fingerprint")),
        _text(item, "summary", limits.max_annotation_value_length),
        _url(item),
        None if severity is None else Severity(severity),
        None if layer is None else Layer(layer),
        _text(item, "service", limits.max_label_value_length),
        _text(item, "team", limits.max_label_value_length),
    )


def _labels(raw: Any, limits: Limits) -> dict[str, str]:
    """Valid label names (`[a-zA-Z_][a-zA-Z0-9_]*` is an ASCII identifier) with string values,
    empty ones dropped, `alertname` among them."""
    if type(raw) is not dict or not raw.get("alertname"):
        raise _Doubt
    max_name, max_value = limits.max_label_name_length, limits.max_label_value_length
    labels = {}
    for name, value in raw.items():
        if name not in _LABEL_NAMES:
            if type(name) is not str or not name.isidentifier() or not name.isascii():
                raise _Doubt
            if len(_LABEL_NAMES) < _MAX_LABEL_NAMES:
                _LABEL_NAMES.add(name)
        if type(value) is not str or len(value) > max_value or len(name) > max_name:
            raise _Doubt
        if value:
            labels[name] = value
    if len(labels) > limits.max_labels_per_alert:
        raise _Doubt
    return labels


def _annotations(raw: Any, limits: Limits) -> dict[str, str]:
    if raw is None:
        return {}
    if type(raw) is not dict or len(raw) > limits.max_annotations_per_alert:
        raise _Doubt
    max_name, max_text = limits.max_label_name_length, limits.max_annotation_value_length
    for name, text in raw.items():
        if type(text) is not str or type(name) is not str:
            raise _Doubt
        if len(name) > max_name or len(text) > max_text:
            raise _Doubt
    return dict(raw)


def _status(raw: Any) -> AlertStatus | None:
    if raw is None:
        return None
    if type(raw) is not str or raw not in _STATUS:
        raise _Doubt
    return _STATUS[raw]


def _fingerprint(raw: Any) -> str | None:
    if raw is not None and (type(raw) is not str or not FINGERPRINT.fullmatch(raw)):
        raise _Doubt
    return raw


def _time(item: dict[str, Any], key: str) -> datetime | None:
    """The time under `key` or its alias (not both); None if absent or Go's zero time."""
    raw = item.get(_present_key(item, key))
    if raw is None:
        return None
    parsed = parse_timestamp(raw) if type(raw) is str else None
    if parsed is None:
        raise _Doubt
    return None if parsed == GO_ZERO_TIME else parsed


def _text(item: dict[str, Any], key: str, max_length: int) -> str | None:
    value = item.get(key)
    if value is not None and (type(value) is not str or len(value) > max_length):
        raise _Doubt
    return value


def _url(item: dict[str, Any]) -> str | None:
    value = item.get(_present_key(item, "generator_url"))
    if value is not None and type(value) is not str:
        raise _Doubt
    return value


def _present_key(item: dict[str, Any], key: str) -> str:
    """The snake_case key, or its camelCase alias if only that is present; not both."""
    alias = ALIASES[key]
    if alias not in item:
        return key
    if key in item:
        raise _Doubt
    return alias
