from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.hostile.hostile_app import Tocsin, served
from tests.hostile.hostile_bodies import DEADLINE_S


@pytest.fixture(scope="session")
def tocsin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tocsin]:
    """One `tocsin up` on a loopback port, shared by the hostile tests."""
    with served(tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest.fixture(scope="session")
def client(tocsin: Tocsin) -> Iterator[httpx.Client]:
    """An HTTP client of it; no request may take longer than the deadline."""
    with httpx.Client(base_url=tocsin.base, timeout=DEADLINE_S) as http:
        yield http
