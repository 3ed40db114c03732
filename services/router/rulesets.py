"""Router config from the log: `RulesetActivated` on `tocsin.incidents` carries the whole
config file, and incidents opened after it are routed by its router sections (users, teams,
schedules, escalation policies, urgency, silences, default receiver). The same event on
`tocsin.notifications` switches the dispatcher's channels and contacts.

What a service makes of a config (a routing directory, a deliverer) is built once per version
and shared by every partition of the process. A text the router cannot read is a problem text
instead: the partition keeps the config it had.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.schedule_lookup import on_call_lookup
from shared.config.yaml_source import ConfigError, parse_config_text
from shared.events.incidents import RulesetActivated

T = TypeVar("T")


def directory_of(config: RouterConfig) -> ConfigDirectory:
    return ConfigDirectory(config, on_call_lookup(config))


def router_config_from_text(text: str, source: str) -> RouterConfig | str:
    """The router's part of a whole Tocsin config file, or what is wrong with it."""
    try:
        return parse_config_text(text, source).validate(RouterConfig)
    except ConfigError as invalid:
        return str(invalid)


class ConfigBook(Generic[T]):
    """What `build` makes of each activated config, built once per version."""

    def __init__(self, build: Callable[[RouterConfig], T]) -> None:
        self._build = build
        self._built: dict[str, T | str] = {}

    def built_for(self, event: RulesetActivated) -> T | str:
        built = self._built.get(event.version)
        if built is None:
            config = router_config_from_text(event.config, event.source or event.version)
            built = config if isinstance(config, str) else self._built_from(config)
            self._built[event.version] = built
        return built

    def _built_from(self, config: RouterConfig) -> T | str:
        """A config `rules check` passed may still fail to build (a check it lacks): the
        partition then keeps what it had, rather than the consumer loop, and the process,
        stopping."""
        try:
            return self._build(config)
        except (ValueError, TypeError) as failure:
            return f"config accepted but not usable: {failure}"


class DirectoryBook(ConfigBook[ConfigDirectory]):
    def __init__(self) -> None:
        super().__init__(directory_of)

    def directory_for(self, event: RulesetActivated) -> ConfigDirectory | str:
        return self.built_for(event)
