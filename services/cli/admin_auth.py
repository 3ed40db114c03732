"""Who may reload rules: the service accounts of the `api:` section (bearer tokens)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Header, HTTPException

from services.router.api.config import ApiConfig


def service_account_guard(api: ApiConfig) -> Callable[..., Awaitable[None]]:
    tokens = [account.token.get_secret_value().encode() for account in api.service_accounts]

    async def require_service_account(authorization: str | None = Header(default=None)) -> None:
        scheme, _, presented = (authorization or "").partition(" ")
        given = presented.strip().encode()
        # Compare against every token so timing does not tell which one nearly matched.
        matched = [hmac.compare_digest(token, given) for token in tokens]
        if scheme.lower() != "bearer" or not given or not any(matched):
            raise HTTPException(
                status_code=401,
                detail="a service account bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_service_account
