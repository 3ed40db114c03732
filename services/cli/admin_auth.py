"""Who may reload rules: the service accounts of the `api:` section (bearer tokens)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from services.router.api.config import ApiConfig


def service_account_check(api: ApiConfig) -> Callable[[str | None], bool]:
    """Whether an `Authorization` header carries a service account's bearer token."""
    tokens = [account.token.get_secret_value().encode() for account in api.service_accounts]

    def is_service_account(authorization: str | None) -> bool:
        scheme, _, presented = (authorization or "").partition(" ")
        given = presented.strip().encode()
        # Compare against every token so timing does not tell which one nearly matched.
        matched = [hmac.compare_digest(token, given) for token in tokens]
        return scheme.lower() == "bearer" and bool(given) and any(matched)

    return is_service_account
