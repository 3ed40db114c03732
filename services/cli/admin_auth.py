"""Who may reload rules: the service accounts of the `api:` section (bearer tokens), as of the
config the process started with and then of each reload it accepted."""

from __future__ import annotations

import hmac

from services.router.api.config import ApiConfig


class ServiceAccounts:
    def __init__(self, api: ApiConfig) -> None:
        self.take(api)

    def take(self, api: ApiConfig) -> None:
        """Answer with these accounts from now on (a reload accepted)."""
        self._tokens = [
            account.token.get_secret_value().encode() for account in api.service_accounts
        ]

    def authorized(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header carries a service account's bearer token."""
        scheme, _, presented = (authorization or "").partition(" ")
        given = presented.strip().encode()
        # Compare against every token so timing does not tell which one nearly matched.
        matched = [hmac.compare_digest(token, given) for token in self._tokens]
        return scheme.lower() == "bearer" and bool(given) and any(matched)
