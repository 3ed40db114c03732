"""The whole Tocsin config file, validated section by section with file:line errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from services.correlator.config import CorrelatorConfig
from services.ingest.config import IngestConfig
from services.router.config import RouterConfig
from shared.config.yaml_source import (
    ConfigError,
    ConfigSource,
    load_config_file,
    parse_config_text,
)

DEMO_CONFIG = "demo.yaml"


@dataclass(frozen=True)
class TocsinConfig:
    source: ConfigSource
    version: str  # hash of the file's text: every decision names the rule set it came from
    ingest: IngestConfig
    correlator: CorrelatorConfig
    router: RouterConfig


def _validated(source: ConfigSource, text: str) -> TocsinConfig:
    problems: list[str] = []
    sections = []
    for model in (IngestConfig, CorrelatorConfig, RouterConfig):
        try:
            sections.append(source.validate(model))
        except ConfigError as invalid:
            problems.extend(invalid.problems)
    if problems:
        raise ConfigError(problems)
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    ingest, correlator, router = sections
    assert isinstance(ingest, IngestConfig)
    assert isinstance(correlator, CorrelatorConfig)
    assert isinstance(router, RouterConfig)
    return TocsinConfig(source, version, ingest, correlator, router)


def load_tocsin_config(path: Path | None) -> TocsinConfig:
    """The config at `path`, or the bundled demo configuration when none is given."""
    if path is None:
        text = resources.files("services.cli").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
        return _validated(parse_config_text(text, f"(built-in {DEMO_CONFIG})"), text)
    source = load_config_file(path)
    return _validated(source, path.read_text(encoding="utf-8"))
