from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.deploy.deploy_support import RunningTocsin, exposed_names
from tests.support.processes import tocsin_process


@pytest.fixture(scope="session")
def running_tocsin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTocsin]:
    """`tocsin up` on the demo config: the metric names every service really declares."""
    folder = tmp_path_factory.mktemp("tocsin-up")
    args = ["up", "--data", str(folder / "data")]
    with tocsin_process(args, folder / "up.log") as base:
        exposition = httpx.get(f"{base}/metrics", timeout=5).text
        port = int(base.rsplit(":", 1)[1])
        yield RunningTocsin(base, port, exposed_names(exposition))
