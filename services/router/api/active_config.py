"""The config the incidents API answers with: who may call it (`users[].token`,
`api.service_accounts`), whom commands may name (reassign, commander) and the config file's
silences it lists.

It starts as the file the process started with, and follows reloads as the read model's
tailer folds them from `tocsin.incidents` (`take`): a `RulesetActivated` newer than the config
running replaces it; an older one (read again while the model is rebuilt from the log, or
written before this process started) changes nothing, as in the router's processor. A config
the API cannot read, or whose tokens are shared, is logged and the API keeps the one it had.
"""

from __future__ import annotations

import logging
from datetime import datetime

from prometheus_client import Counter

from services.router.api.auth import TokenAuth
from services.router.api.config import ApiConfig, load_api_config
from services.router.config import RouterConfig
from services.router.domain.silences import Silence
from shared.config.yaml_source import parse_config_text
from shared.events.incidents import RulesetActivated

log = logging.getLogger(__name__)


class ActiveApiConfig:
    def __init__(
        self,
        router: RouterConfig,
        api: ApiConfig,
        started_at: datetime | None = None,
        rejected: Counter | None = None,
    ) -> None:
        """`started_at`: when the process took its config (None: take any activation);
        `rejected`: counts activations refused. Raises ValueError when two principals share a
        token."""
        self._rejected = rejected
        self.auth = TokenAuth.from_config(router, api)
        self._silences = tuple(router.silences)
        self._users = frozenset(user.name for user in router.users)
        self._activated_at = started_at

    def users(self) -> frozenset[str]:
        """The active config's user names: whom a command may reassign to or name commander."""
        return self._users

    def silences(self) -> tuple[Silence, ...]:
        """The active config file's silences, in the file's order."""
        return self._silences

    def take(self, event: RulesetActivated) -> None:
        """Answer with this config from now on, unless the one running is as new."""
        if self._activated_at is not None and event.activated_at <= self._activated_at:
            return  # older, or the same activation read on another partition
        self._activated_at = event.activated_at
        facts = {"version": event.version}
        try:
            source = parse_config_text(event.config, event.source or event.version)
            router, api = source.validate(RouterConfig), load_api_config(source)
            auth = TokenAuth.from_config(router, api)
        except ValueError as refused:  # a ConfigError, or tokens shared
            log.error("incidents api config rejected", extra={**facts, "problem": str(refused)})
            if self._rejected is not None:
                self._rejected.inc()
            return
        self.auth.take(auth)
        self._silences = tuple(router.silences)
        self._users = frozenset(user.name for user in router.users)
        log.info("incidents api config activated", extra=facts)
