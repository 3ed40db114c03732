"""The fields of Tocsin's canonical alert JSON, and the draft an alert is read into: shared by
the canonical reader (`canonical.py`), its fast path (`canonical_fast.py`) and the other
sources' readers, which build drafts too."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from shared.alerts import AlertStatus, Layer, Severity

FINGERPRINT = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
# snake_case field -> the camelCase alias Alertmanager API v2 bodies use.
ALIASES = {"starts_at": "startsAt", "ends_at": "endsAt", "generator_url": "generatorURL"}
FIELDS = frozenset(
    {"labels", "annotations", "status", "severity", "layer", "service", "team", "summary"}
    | {"fingerprint", *ALIASES, *ALIASES.values()}
)
STATUSES: tuple[AlertStatus, ...] = ("firing", "resolved")
# The values of the enums, in order (iterating an enum per alert costs more than reading).
SEVERITIES = tuple(member.value for member in Severity)
LAYERS = tuple(member.value for member in Layer)


class AlertDraft(NamedTuple):
    """A validated alert before defaults and derivations are applied. None means "derive it".

    A named tuple, not a frozen dataclass: one is built per alert, and a frozen dataclass's
    `__init__` (one `object.__setattr__` per field) cost more than reading the alert.
    """

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    status: AlertStatus | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    fingerprint: str | None = None
    summary: str | None = None
    generator_url: str | None = None
    severity: Severity | None = None
    layer: Layer | None = None
    service: str | None = None
    team: str | None = None
