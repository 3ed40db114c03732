"""Rule sets from the log: `RulesetActivated` carries a config's text; this builds its policy.

Built once per version and shared by every partition of the process. An invalid config is a
problem text instead of a policy: the partition keeps the rule set it had.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import yaml

from services.correlator.config import CorrelatorConfig
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.grouping import build_policy
from shared.config.yaml_source import parse_config_text
from shared.events.incidents import RulesetActivated


def version_of(text: str) -> str:
    """A rule set's version: the hash of the config file's text (as `tocsin` computes it)."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def policy_from_text(text: str, version: str) -> CorrelationPolicy | str:
    """The policy of a whole Tocsin config file, or what is wrong with it."""
    try:
        # As the file was read when checked, its `${NAME}` read from this process's environment.
        data = parse_config_text(text, f"rule set {version}").data
        return build_policy(CorrelatorConfig.model_validate(data), version)
    except ValueError as invalid:  # ConfigError, pydantic's, AlertmanagerConfigError
        return str(invalid)


def config_text(config: CorrelatorConfig) -> str:
    """The correlator's part of a config as YAML that reads back to the same config."""
    return yaml.safe_dump(_plain(config.model_dump(mode="python")), sort_keys=False)


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return f"{round(value.total_seconds() * 1000)}ms"
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class RulesetBook:
    def __init__(self) -> None:
        self._built: dict[str, CorrelationPolicy | str] = {}

    def policy_for(self, event: RulesetActivated) -> CorrelationPolicy | str:
        built = self._built.get(event.version)
        if built is None:
            built = self._built[event.version] = policy_from_text(event.config, event.version)
        return built
