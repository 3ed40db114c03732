"""Bearer tokens of people (`users[].token`) and service accounts (`api.service_accounts`)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from services.router.api.config import ApiConfig
from services.router.config import RouterConfig


@dataclass(frozen=True)
class Principal:
    name: str
    kind: Literal["user", "service"]

    @property
    def actor(self) -> str:
        """How the principal is named on the log: `alice`, `service:chatops`."""
        return self.name if self.kind == "user" else f"service:{self.name}"


class TokenAuth:
    def __init__(self, credentials: Iterable[tuple[bytes, Principal]]) -> None:
        self._credentials = list(credentials)
        tokens = [token for token, _ in self._credentials]
        shared = sorted({p.actor for token, p in self._credentials if tokens.count(token) > 1})
        if shared:
            raise ValueError(f"API tokens must be unique; shared by {', '.join(shared)}")

    @classmethod
    def from_config(cls, router: RouterConfig, api: ApiConfig) -> TokenAuth:
        users = [
            (u.token.get_secret_value().encode(), Principal(u.name, "user"))
            for u in router.users
            if u.token is not None and u.token.get_secret_value()
        ]
        accounts = [
            (a.token.get_secret_value().encode(), Principal(a.name, "service"))
            for a in api.service_accounts
        ]
        return cls(users + accounts)

    def take(self, other: TokenAuth) -> None:
        """Answer with `other`'s tokens from now on (a reloaded config's)."""
        self._credentials = other._credentials

    def authenticate(self, authorization: str | None) -> Principal | None:
        presented = _bearer(authorization)
        if presented is None:
            return None
        found: Principal | None = None
        # Compare with every token, so timing does not tell which one (or none) matched.
        for token, principal in self._credentials:
            if hmac.compare_digest(token, presented):
                found = principal
        return found


def _bearer(header: str | None) -> bytes | None:
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token.encode()
