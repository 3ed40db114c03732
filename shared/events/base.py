"""Base class of all domain events: frozen, past-tense, with a `type` discriminator."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A fact that happened. Subclasses set `type: Literal[...]` and `SCHEMA_VERSION`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    SCHEMA_VERSION: ClassVar[int] = 1
