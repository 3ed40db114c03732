"""The key of one-click links: the configured one, else one kept in the data folder, which
routers on Kafka do not share, so such a router says so at start."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.wiring import LinkSecretError, link_secret
from shared.config.settings import RuntimeSettings


def test_a_configured_secret_is_used_and_nothing_is_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "0123456789abcdef" * 4
    settings = RuntimeSettings(data_dir=tmp_path, kafka="127.0.0.1:9092", link_secret=secret)
    assert link_secret(settings) == secret.encode()
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


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("change-me-in-deploy-dot-env", "is the deploy files' placeholder"),
        ("change-me-32-random-bytes-hex-encoded", "is the deploy files' placeholder"),
        ("s3cret", "needs at least 32 characters of random text"),
    ],
)
def test_a_placeholder_or_short_secret_is_refused_naming_the_variable(
    secret: str, why: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TOCSIN_LINK_SECRET", secret)
    config = tmp_path / "tocsin.yaml"
    config.write_text("route: {receiver: default}\n", encoding="utf-8")
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data"), "--port", "0"]

    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TOCSIN_LINK_SECRET": secret},
    )

    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"invalid environment variable: TOCSIN_LINK_SECRET: Value error, {why}"
        + (
            " (openssl rand -hex 32)"
            if "placeholder" not in why
            else ": set a random one (openssl rand -hex 32)"
        )
    )
    assert secret not in done.stderr


def test_the_kept_key_is_its_owners_alone_from_the_start(tmp_path: Path) -> None:
    link_secret(RuntimeSettings(data_dir=tmp_path, link_secret=""))

    assert stat.S_IMODE((tmp_path / "link-secret").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["link-secret"]  # no partial file left


@pytest.mark.parametrize("kept", ["", "\n", "abc"])
def test_an_empty_or_short_kept_key_is_refused_not_signed_with(tmp_path: Path, kept: str) -> None:
    (tmp_path / "link-secret").write_text(kept, encoding="utf-8")

    with pytest.raises(LinkSecretError, match="too few to sign one-click links"):
        link_secret(RuntimeSettings(data_dir=tmp_path, link_secret=""))
