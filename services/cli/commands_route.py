"""`tocsin` subcommands of this module: registered by main.py."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add this module's subcommands to the `tocsin` parser."""
    return None
