"""Integration credentials: constant-time lookup, never logged or echoed."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from services.ingest.config import IntegrationConfig, IntegrationType


@dataclass(frozen=True)
class AuthFailure:
    status: int  # 401 unknown credential, 403 disabled integration
    message: str
    integration: str | None = None  # the disabled integration the credential is of


class IntegrationAuth:
    def __init__(self, integrations: list[IntegrationConfig]) -> None:
        self._integrations = integrations

    def authenticate(
        self, credential: str | None, source: IntegrationType
    ) -> IntegrationConfig | AuthFailure:
        if not credential:
            return AuthFailure(401, "missing credential")
        found: IntegrationConfig | None = None
        presented = credential.encode()
        # Compare against every integration so timing does not reveal which one matched.
        for integration in self._integrations:
            secret = integration.token.get_secret_value().encode()
            if hmac.compare_digest(secret, presented) and integration.type == source:
                found = integration
        if found is None:
            return AuthFailure(401, f"unknown credential for an integration of type {source}")
        if not found.enabled:
            return AuthFailure(403, f"integration {found.name} is disabled", found.name)
        return found


def bearer_token(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
