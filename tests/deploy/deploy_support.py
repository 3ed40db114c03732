"""What the deployment tests share: where deploy/ is, the tools they run, metric names."""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
RULES = PROMETHEUS_DIR / "tocsin-rules.yml"
RULES_TESTS = PROMETHEUS_DIR / "tocsin-rules.test.yml"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "tocsin-dashboard.json"
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
TOPICS_SCRIPT = DEPLOY / "kafka" / "create-topics.sh"


@dataclass(frozen=True)
class RunningTocsin:
    """A `tocsin up` process for the tests of one session."""

    base_url: str
    port: int
    metric_names: set[str]


_METRIC = re.compile(r"\btocsin_[a-z0-9_]+\b")


def system_binary(name: str, apt_package: str) -> str:
    """A Debian-packaged tool the tests need; never skipped: fail naming the package."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not installed: apt-get install {apt_package} "
            "(`make test` installs it on a new machine)",
            pytrace=False,
        )
    return path


def python_tool(name: str, pip_package: str) -> str:
    """A tool shipped in a PyPI package of the dev extra, found next to this interpreter."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.exists() else shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not installed: pip install {pip_package} "
            "(it belongs in the `dev` extra of pyproject.toml)",
            pytrace=False,
        )
    return path


def metric_names(expr: str) -> set[str]:
    """The Tocsin metric names a PromQL expression uses."""
    return set(_METRIC.findall(expr))


def exposed_names(exposition: str) -> set[str]:
    """Every sample name a /metrics page declares, labelled families without samples included."""
    names: set[str] = set()
    suffixes = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.update(name + suffix for suffix in suffixes.get(kind, ("",)))
    return names


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]
