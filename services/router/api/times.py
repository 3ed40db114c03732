"""Times in the API's queries and bodies: RFC 3339 date-times with an offset, nothing else."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

_DATE_TIME_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _date_time_text(value: object) -> object:
    """The documented format only: pydantic would also read `44754` as a Unix time."""
    if isinstance(value, str) and not _DATE_TIME_START.match(value):
        raise ValueError("expected an RFC 3339 date-time such as 2026-11-27T06:50:00Z")
    if not isinstance(value, str):
        raise ValueError("expected an RFC 3339 date-time as a string")
    return value


DateTimeText = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]
