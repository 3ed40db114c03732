"""The key of one-click links: the configured one, else one kept in the data folder, which
routers on Kafka do not share, so such a router says so at start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from services.cli.wiring import link_secret
from shared.config.settings import RuntimeSettings


def test_a_configured_secret_is_used_and_nothing_is_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = RuntimeSettings(data_dir=tmp_path, kafka="127.0.0.1:9092", link_secret="s3cret")
    assert link_secret(settings) == b"s3cret"
    assert not caplog.records


def test_without_one_the_key_is_kept_in_the_data_folder_and_stays(tmp_path: Path) -> None:
    settings = RuntimeSettings(data_dir=tmp_path, link_secret="")
    first = link_secret(settings)
    assert len(first) == 64 and link_secret(settings) == first
    assert (tmp_path / "link-secret").read_bytes().strip() == first


def test_a_router_on_kafka_without_one_warns_that_other_routers_refuse_its_links(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = RuntimeSettings(data_dir=tmp_path, kafka="127.0.0.1:9092", link_secret="")
    with caplog.at_level(logging.WARNING):
        link_secret(settings)
    assert any("TOCSIN_LINK_SECRET is not set" in r.getMessage() for r in caplog.records)
