"""The Kubernetes manifests, checked without a cluster: Kubernetes' own OpenAPI schemas
(kubernetes-validate, offline), and what Tocsin needs of each Deployment, Service and Job."""

from __future__ import annotations

import functools
import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.cli.config_bundle import load_tocsin_config
from shared.topics import ALL_TOPICS
from tests.deploy.deploy_support import K8S, ROOT, TOPICS_SCRIPT, load_yaml, load_yaml_documents

SERVICES = ("ingest", "correlator", "router")
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")  # oldest and newest release we check against

Resource = dict[str, Any]


def manifests() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@functools.cache
def resources() -> list[Resource]:
    return [doc for path in manifests() for doc in load_yaml_documents(path)]


def find(kind: str, name: str) -> Resource:
    [found] = [r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def pod_spec(service: str) -> Resource:
    spec: Resource = find("Deployment", f"tocsin-{service}")["spec"]["template"]["spec"]
    return spec


def main_container(service: str) -> Resource:
    [container] = pod_spec(service)["containers"]
    return container


def settings() -> dict[str, str]:
    data: dict[str, str] = find("ConfigMap", "tocsin-settings")["data"]
    return data


def test_kustomization_lists_every_manifest() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(p.name for p in manifests())
    assert kustomization["namespace"] == "tocsin"
    assert [image["name"] for image in kustomization["images"]] == ["tocsin"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_match_the_kubernetes_schemas(version: str) -> None:
    try:
        kubernetes_validate = importlib.import_module("kubernetes_validate")
    except ImportError:
        pytest.fail(
            "pip install kubernetes-validate (it belongs in the `dev` extra of pyproject.toml)",
            pytrace=False,
        )
    for resource in resources():
        name = f"{resource['kind']}/{resource['metadata']['name']}"
        try:
            kubernetes_validate.validate(resource, version, True)
        except kubernetes_validate.ValidationError as invalid:
            pytest.fail(f"{name} is not valid Kubernetes {version}: {invalid.message}")


def test_there_is_a_deployment_and_a_service_per_tocsin_service() -> None:
    kinds = {(r["kind"], r["metadata"]["name"]) for r in resources()}
    for service in SERVICES:
        assert ("Deployment", f"tocsin-{service}") in kinds
        assert ("Service", f"tocsin-{service}") in kinds
    assert ("Job", "tocsin-topics") in kinds
    assert ("Secret", "tocsin-secrets") in kinds
    assert ("ConfigMap", "tocsin-config") in kinds


@pytest.mark.parametrize("service", SERVICES)
def test_each_deployment_runs_its_service_with_probes(service: str) -> None:
    container = main_container(service)
    assert container["image"] == "tocsin"  # set by kustomization.yaml's `images`
    assert container["args"] == [
        service,
        "--config",
        "/etc/tocsin/tocsin.yaml",
        "--kafka",
        "$(TOCSIN_KAFKA)",
    ]
    [port] = container["ports"]
    assert port["containerPort"] == int(settings()["TOCSIN_PORT"])
    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert (readiness["path"], readiness["port"]) == ("/readyz", port["name"])
    assert (liveness["path"], liveness["port"]) == ("/healthz", port["name"])
    assert {"configMapRef": {"name": "tocsin-settings"}} in container["envFrom"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_container_has_resource_requests_and_limits(service: str) -> None:
    spec = pod_spec(service)
    for container in spec["initContainers"] + spec["containers"]:
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}, container["name"]


@pytest.mark.parametrize("service", SERVICES)
def test_pods_run_unprivileged_without_service_links(service: str) -> None:
    spec = pod_spec(service)
    assert spec["enableServiceLinks"] is False  # else TOCSIN_* variables could be injected
    assert spec["securityContext"]["runAsNonRoot"] is True
    for container in spec["initContainers"] + spec["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"]["drop"] == ["ALL"], container["name"]
        assert context["runAsUser"] > 0, container["name"]
    assert main_container(service)["securityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_selects_its_pods_on_the_http_port(service: str) -> None:
    deployment = find("Deployment", f"tocsin-{service}")
    selector = find("Service", f"tocsin-{service}")["spec"]["selector"]
    assert deployment["spec"]["selector"]["matchLabels"] == selector
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    [port] = find("Service", f"tocsin-{service}")["spec"]["ports"]
    assert port["targetPort"] == main_container(service)["ports"][0]["name"]


def test_correlator_replicas_follow_the_partition_count() -> None:
    partitions = int(settings()["TOCSIN_PARTITIONS"])
    assert find("Deployment", "tocsin-correlator")["spec"]["replicas"] == partitions
    assert find("Deployment", "tocsin-router")["spec"]["replicas"] <= partitions
    text = (K8S / "correlator.yaml").read_text()
    comment = text[: text.index("  replicas:")].rsplit("spec:", 1)[1]
    assert "TOCSIN_PARTITIONS" in comment and "partition" in comment


def test_secrets_reach_the_pods_as_environment_never_as_files() -> None:
    """Every process reads the whole config, so each needs every `${NAME}` it names; only the
    router signs and checks one-click links."""
    [link] = main_container("router")["env"]
    assert link["name"] == "TOCSIN_LINK_SECRET"
    assert link["valueFrom"]["secretKeyRef"]["name"] == "tocsin-link-secret"
    assert "TOCSIN_LINK_SECRET" not in find("Secret", "tocsin-secrets")["stringData"]
    for service in SERVICES:
        sources = main_container(service)["envFrom"]
        assert sources == [
            {"configMapRef": {"name": "tocsin-settings"}},
            {"secretRef": {"name": "tocsin-secrets"}},
        ]
        assert service == "router" or "env" not in main_container(service)
        volumes = pod_spec(service)["volumes"]
        assert not any("secret" in volume for volume in volumes), service


def test_the_topic_job_runs_the_same_script_as_compose() -> None:
    script = find("ConfigMap", "tocsin-topics-script")["data"]["create-topics.sh"]
    assert script == TOPICS_SCRIPT.read_text()
    for topic in ALL_TOPICS:
        assert topic in script
    job = find("Job", "tocsin-topics")["spec"]["template"]["spec"]
    [container] = job["containers"]
    env = {e["name"]: e["valueFrom"]["configMapKeyRef"]["key"] for e in container["env"][:4]}
    assert env["TOCSIN_PARTITIONS"] == "TOCSIN_PARTITIONS"
    assert env["KAFKA_BOOTSTRAP"] == "TOCSIN_KAFKA"
    assert set(container["resources"]) == {"requests", "limits"}


@pytest.mark.parametrize("service", SERVICES)
def test_pods_wait_for_every_topic(service: str) -> None:
    [wait] = [c for c in pod_spec(service)["initContainers"] if c["name"] == "wait-for-topics"]
    pattern = re.search(r"'(tocsin\[\.\]\(([a-z|]+)\))'", wait["command"][2])
    assert pattern is not None
    assert {f"tocsin.{name}" for name in pattern.group(2).split("|")} == set(ALL_TOPICS)
    assert f"-eq {len(ALL_TOPICS)}" in wait["command"][2]


def check_config(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`tocsin rules check` on the ConfigMap's tocsin.yaml, as the `check-config` init
    container runs it: with `env` (the Secret's keys) as its environment."""
    (folder / "tocsin.yaml").write_text(find("ConfigMap", "tocsin-config")["data"]["tocsin.yaml"])
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "rules", "check", "--config", "tocsin.yaml"],
        cwd=folder,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_config_reads_its_secrets_from_the_secrets_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_map = find("ConfigMap", "tocsin-config")["data"]
    secret = find("Secret", "tocsin-secrets")["stringData"]
    assert set(config_map) == {"tocsin.yaml"}  # no script renders it: Tocsin reads `${NAME}`
    assert check_config(tmp_path, dict(secret)).returncode == 0
    for name, value in secret.items():
        monkeypatch.setenv(name, value)
    config = load_tocsin_config(tmp_path / "tocsin.yaml")
    tokens = {i.token.get_secret_value() for i in config.ingest.integrations}
    assert tokens == {
        secret["ALERTMANAGER_TOKEN"],
        secret["GRAFANA_TOKEN"],
        secret["CANONICAL_TOKEN"],
    }
    assert not any(value in config.text for value in secret.values())  # what the log pins


def test_the_config_check_fails_when_the_secret_lacks_a_token(tmp_path: Path) -> None:
    result = check_config(tmp_path, {"GRAFANA_TOKEN": "x", "CANONICAL_TOKEN": "y"})
    assert result.returncode != 0
    assert "environment variable ALERTMANAGER_TOKEN is not set" in result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_pods_check_the_config_and_run_with_the_secrets_keys(service: str) -> None:
    spec = pod_spec(service)
    [check] = [c for c in spec["initContainers"] if c["name"] == "check-config"]
    assert check["args"] == ["rules", "check", "--config", "/etc/tocsin/tocsin.yaml"]
    from_secret = {"secretRef": {"name": "tocsin-secrets"}}
    assert check["envFrom"] == [from_secret]
    [main] = [c for c in spec["containers"] if c["name"] == service]
    assert from_secret in main["envFrom"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "tocsin-config"  # no secret in it
