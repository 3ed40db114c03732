"""Who may reload rules: the service accounts of the `api:` section (bearer tokens), as of the
config the process started with and then of each reload it accepted."""

from __future__ import annotations

import hmac

from services.cli.config_bundle import TocsinConfig
from services.router.api.config import ApiConfig


class ServiceAccounts:
    def __init__(self, api: ApiConfig) -> None:
        self.take(api)

    def take(self, api: ApiConfig) -> None:
        """Answer with these accounts from now on (a reload accepted)."""
        self._tokens = [
            account.token.get_secret_value().encode() for account in api.service_accounts
        ]

    def take_reloaded(self, checked: object) -> None:
        """A reload of `checked` (what `check_config_text` returned) is on the log."""
        assert isinstance(checked, TocsinConfig)
        self.take(checked.api)

    def locked_out_by(self, checked: object) -> str | None:
        """Why a reload must not activate `checked`: with no service account in it, nobody
        could reload again (an empty or half-saved file passes `rules check`). None: fine."""
        assert isinstance(checked, TocsinConfig)
        if checked.api.service_accounts or not self._tokens:
            return None
        return (
            "it names no api.service_accounts, so once active nobody could reload the rules"
            " again without a restart (a file saved half-way?); nothing changed"
        )

    def authorized(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header carries a service account's bearer token."""
        scheme, _, presented = (authorization or "").partition(" ")
        given = presented.strip().encode()
        # Compare against every token so timing does not tell which one nearly matched.
        matched = [hmac.compare_digest(token, given) for token in self._tokens]
        return scheme.lower() == "bearer" and bool(given) and any(matched)
