"""What a rule reload cannot change in a running Tocsin: the settings read once at start."""

from __future__ import annotations

from services.cli.config_bundle import TocsinConfig
from services.ingest.config import IngestConfig
from services.router.api.config import ApiConfig

# Settings of the `api:` section a reload does apply: the endpoint's service accounts.
_RELOADED_API = frozenset({"service_accounts"})


def restart_needed(started: TocsinConfig, checked: object) -> list[str]:
    """The settings in which `checked` (what `check_config_text` returned for a reload)
    differs from the config this process started with and which only a restart applies:
    ingest's (integrations, heartbeats' check-ins, limits, correlation domains) and the
    `api:` settings other than its service accounts."""
    assert isinstance(checked, TocsinConfig)
    changed = [
        "correlation.domain_labels" if name == "correlation" else name
        for name in IngestConfig.model_fields
        if getattr(checked.ingest, name) != getattr(started.ingest, name)
    ]
    changed += [
        f"api.{name}"
        for name in ApiConfig.model_fields
        if name not in _RELOADED_API and getattr(checked.api, name) != getattr(started.api, name)
    ]
    return changed
