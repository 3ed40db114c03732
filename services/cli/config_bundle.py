"""The whole Tocsin config file, validated section by section with file:line errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from services.correlator.config import CorrelatorConfig
from services.correlator.domain.alertmanager import (
    AlertmanagerConfigError,
    parse_inhibit_rules,
    parse_route,
)
from services.ingest.config import IngestConfig
from services.router.api.config import ApiConfig
from services.router.config import RouterConfig
from services.router.references import receivers_of, reference_problems
from shared.config.yaml_source import (
    ConfigError,
    ConfigSource,
    parse_config_text,
    read_config_text,
)

DEMO_CONFIG = "demo.yaml"

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class TocsinConfig:
    source: ConfigSource
    version: str  # hash of the file's text: every decision names the rule set it came from
    ingest: IngestConfig
    correlator: CorrelatorConfig
    router: RouterConfig
    api: ApiConfig
    text: str = ""  # the file as read: what a rule set activation carries through the log


def _validated(source: ConfigSource, text: str) -> TocsinConfig:
    """Every section checked, and what is wrong reported at once: the references and rules
    of the router's section are checked whenever that section itself is valid, whatever is
    wrong elsewhere."""
    problems: list[str] = []
    ingest = _section(source, IngestConfig, (), problems)
    correlator = _section(source, CorrelatorConfig, (), problems)
    router = _section(source, RouterConfig, (), problems)
    api = _section(source, ApiConfig, ("api",), problems)
    if router is not None:
        problems.extend(_rule_problems(source, router))
        if api is not None:
            problems.extend(_shared_tokens(source, router, api))
    if problems:
        raise ConfigError(problems)
    assert ingest is not None and correlator is not None and router is not None
    assert api is not None
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return TocsinConfig(source, version, ingest, correlator, router, api, text)


def _section(
    source: ConfigSource, model: type[S], location: tuple[str, ...], problems: list[str]
) -> S | None:
    """The section as `model`, or None with its problems added to `problems`."""
    try:
        return source.validate(model, location)
    except ConfigError as invalid:
        problems.extend(invalid.problems)
        return None


def _rule_problems(source: ConfigSource, router: object) -> list[str]:
    """Alertmanager-syntax sections, checked with Alertmanager's own rules."""
    assert isinstance(router, RouterConfig)
    receivers = receivers_of(router)
    problems = [source.error(where, message) for where, message in reference_problems(router)]
    try:
        parse_route(source.data.get("route", {"receiver": "default"}), receivers=receivers or None)
    except AlertmanagerConfigError as invalid:
        problems.append(source.error(invalid.location, str(invalid).split(": ", 1)[-1]))
    try:
        parse_inhibit_rules(source.data.get("inhibit_rules"))
    except AlertmanagerConfigError as invalid:
        problems.append(source.error(invalid.location, str(invalid).split(": ", 1)[-1]))
    return problems


def _shared_tokens(source: ConfigSource, router: object, api: ApiConfig) -> list[str]:
    """API tokens identify one person or service account each: a shared one is ambiguous."""
    assert isinstance(router, RouterConfig)
    owners: dict[str, list[str]] = {}
    for user in router.users:
        if user.token is not None:
            owners.setdefault(user.token.get_secret_value(), []).append(f"user {user.name}")
    for account in api.service_accounts:
        owners.setdefault(account.token.get_secret_value(), []).append(f"account {account.name}")
    return [
        source.error(("api",), f"{' and '.join(names)} share one token; give each its own")
        for names in owners.values()
        if len(names) > 1
    ]


def check_config_text(text: str, path: str) -> TocsinConfig:
    """The config file's `text` validated as `tocsin rules check` does (ConfigError listing
    every problem as `path:line: field: message`); the rule reload endpoint calls it too."""
    return _validated(parse_config_text(text, path), text)


def load_tocsin_config(path: Path | None) -> TocsinConfig:
    """The config at `path`, or the bundled demo configuration when none is given."""
    if path is None:
        text = resources.files("services.cli").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
        return check_config_text(text, f"(built-in {DEMO_CONFIG})")
    text = read_config_text(path)  # read once: the version hashes the text that was parsed
    return check_config_text(text, str(path))
