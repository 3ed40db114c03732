"""The Kubernetes manifests, checked without a cluster: Kubernetes' own OpenAPI schemas
(kubernetes-validate, offline), and what Tocsin needs of each Deployment, Service and Job."""

from __future__ import annotations

import functools
import importlib
import re
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.cli.config_bundle import load_tocsin_config
from shared.topics import ALL_TOPICS
from tests.deploy.deploy_support import K8S, TOPICS_SCRIPT, load_yaml, load_yaml_documents

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
    assert container["envFrom"] == [{"configMapRef": {"name": "tocsin-settings"}}]


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


def test_secrets_reach_only_the_pods_that_need_them() -> None:
    [link] = main_container("router")["env"]  # the router signs and checks one-click links
    assert link["name"] == "TOCSIN_LINK_SECRET"
    assert link["valueFrom"]["secretKeyRef"]["name"] == "tocsin-secrets"
    assert "env" not in main_container("ingest")
    assert "env" not in main_container("correlator")
    for service in SERVICES:
        assert not any("secretRef" in source for source in main_container(service)["envFrom"])


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


def render(template: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    config_map = find("ConfigMap", "tocsin-config")["data"]
    (folder / "render.py").write_text(config_map["render.py"])
    (folder / "template.yaml").write_text(template)
    return subprocess.run(
        [sys.executable, str(folder / "render.py"), "template.yaml", "tocsin.yaml"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_config_template_renders_with_the_secret_into_a_valid_config(tmp_path: Path) -> None:
    template = find("ConfigMap", "tocsin-config")["data"]["tocsin.yaml"]
    secret = find("Secret", "tocsin-secrets")["stringData"]
    placeholders = {m.group("named") for m in string.Template.pattern.finditer(template)}
    assert placeholders - {None} <= set(secret)
    result = render(template, tmp_path, dict(secret))
    assert result.returncode == 0, result.stderr
    config = load_tocsin_config(tmp_path / "tocsin.yaml")
    tokens = {i.token.get_secret_value() for i in config.ingest.integrations}
    assert tokens == {
        secret["ALERTMANAGER_TOKEN"],
        secret["GRAFANA_TOKEN"],
        secret["CANONICAL_TOKEN"],
    }


def test_rendering_fails_when_the_secret_lacks_a_token(tmp_path: Path) -> None:
    template = find("ConfigMap", "tocsin-config")["data"]["tocsin.yaml"]
    result = render(template, tmp_path, {"GRAFANA_TOKEN": "x", "CANONICAL_TOKEN": "y"})
    assert result.returncode != 0
    assert "ALERTMANAGER_TOKEN" in result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_pods_render_and_check_the_config_before_starting(service: str) -> None:
    [render_step] = [c for c in pod_spec(service)["initContainers"] if c["name"] == "render-config"]
    assert "render.py" in render_step["command"][2]
    assert "tocsin rules check --config /etc/tocsin/tocsin.yaml" in render_step["command"][2]
    assert render_step["envFrom"] == [{"secretRef": {"name": "tocsin-secrets"}}]
    volumes = {v["name"]: v for v in pod_spec(service)["volumes"]}
    assert volumes["config"]["emptyDir"]["medium"] == "Memory"  # it holds tokens
