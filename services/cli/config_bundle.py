"""The whole Tocsin config file, validated section by section with file:line errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

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
    problems: list[str] = []
    sections = []
    for model in (IngestConfig, CorrelatorConfig, RouterConfig):
        try:
            sections.append(source.validate(model))
        except ConfigError as invalid:
            problems.extend(invalid.problems)
    try:
        api = source.validate(ApiConfig, ("api",))
    except ConfigError as invalid:
        problems.extend(invalid.problems)
    if problems:
        raise ConfigError(problems)
    problems.extend(_rule_problems(source, sections[2]))
    problems.extend(_shared_tokens(source, sections[2], api))
    if problems:
        raise ConfigError(problems)
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    ingest, correlator, router = sections
    assert isinstance(ingest, IngestConfig)
    assert isinstance(correlator, CorrelatorConfig)
    assert isinstance(router, RouterConfig)
    return TocsinConfig(source, version, ingest, correlator, router, api, text)


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
