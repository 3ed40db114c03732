"""`tocsin ingest --workers N`: N processes on one port, metrics summed over them, stopped
together; a worker that dies takes the service down so its supervisor restarts it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest, values

from services.cli.main import main
from services.ingest.metrics import IngestMetrics, workers_registry
from services.ingest.workers import listening_socket, worker_sockets
from tests.ingest.tansu import TansuBroker
from tests.support.brokers import free_port
from tests.support.processes import ManagedProcess

TOKEN = "workers-json-token"
CONFIG = f"""
integrations:
  - {{name: json, type: canonical, token: {TOKEN}}}
"""
REQUESTS = 40
ACCEPTED = re.compile(r'^tocsin_ingest_alerts_accepted_total\{integration="json"\} (\S+)$', re.M)


def children_of(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def post_alert(base: str, index: int) -> int:
    body = {"labels": {"alertname": "Busy", "instance": f"node-{index}", "region": "eu"}}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    # A new connection per request: the kernel spreads connections over the workers.
    return httpx.post(f"{base}/api/v1/alerts", json=body, headers=headers, timeout=15).status_code


@pytest.mark.kafka
def test_workers_share_the_port_and_every_scrape_counts_all_their_alerts(tmp_path: Path) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    with TansuBroker(free_port(), tmp_path / "broker.log") as broker:
        args = ["ingest", "--config", str(config), "--kafka", broker.bootstrap, "--workers", "2"]
        service = ManagedProcess(args, tmp_path / "ingest.log").start()
        assert service.process is not None
        workers = children_of(service.process.pid)
        try:
            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(lambda i: post_alert(service.url, i), range(REQUESTS)))
            scrapes = [httpx.get(f"{service.url}/metrics", timeout=5).text for _ in range(6)]
        finally:
            service.stop()

    assert len(workers) == 2
    assert statuses == [202] * REQUESTS
    assert [ACCEPTED.findall(scrape) for scrape in scrapes] == [[f"{REQUESTS:.1f}"]] * 6
    assert service.process.returncode == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


@pytest.mark.kafka
def test_each_worker_refills_its_share_of_an_integrations_rate(tmp_path: Path) -> None:
    # Given an integration limited to 0.5 alerts/s (burst 1) served by two workers,
    config = tmp_path / "tocsin.yaml"
    limited = "rate_limit: {alerts_per_second: 0.5, burst: 1}"
    config.write_text(
        f"integrations:\n  - {{name: json, type: canonical, token: {TOKEN}, {limited}}}\n",
        encoding="utf-8",
    )
    body = {"labels": {"alertname": "Busy", "instance": "node-1", "region": "eu"}}
    with TansuBroker(free_port(), tmp_path / "broker.log") as broker:
        args = ["ingest", "--config", str(config), "--kafka", broker.bootstrap, "--workers", "2"]
        service = ManagedProcess(args, tmp_path / "ingest.log").start()
        try:
            # when a sender posts twice on one keep-alive connection (so to one worker),
            with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=15) as client:
                first = client.post(f"{service.url}/api/v1/alerts", json=body)
                second = client.post(f"{service.url}/api/v1/alerts", json=body)
        finally:
            service.stop()

    # then the second waits for that worker's share, 0.25 alerts/s: 4 s, not the 2 s of 0.5/s.
    assert first.status_code == 202
    assert second.status_code == 429
    assert second.headers["Retry-After"] == "4"


SUPERVISED = """
import os, signal, sys, time
from services.ingest.workers import listening_socket, run_workers

def serve(sock):
    try:  # the first worker to get here fails at once; the other serves until stopped
        os.close(os.open(sys.argv[1], os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        signal.pause()
        return 0
    time.sleep(0.2)
    return 3

sys.exit(run_workers(2, serve, listening_socket("127.0.0.1", 0)))
"""


def test_a_worker_that_fails_stops_the_others_and_the_service_reports_its_code(
    tmp_path: Path,
) -> None:
    script = textwrap.dedent(SUPERVISED)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "first")], env=env)
    try:
        code = process.wait(20)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)

    assert code == 3


def test_workers_must_be_at_least_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ingest", "--config", "tocsin.yaml", "--kafka", "127.0.0.1:9092", "--workers", "0"])

    assert exited.value.code == 2
    assert "--workers: must be at least 1" in capsys.readouterr().err


def test_a_scrape_skips_the_file_of_a_worker_still_creating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)  # restored after the test
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = workers_registry(tmp_path)
    IngestMetrics(registry).accepted.labels(integration="json").inc(3)
    (tmp_path / "counter_999999.db").touch()  # created, not yet sized, by another worker

    exposition = generate_latest(registry).decode()

    assert ACCEPTED.findall(exposition) == ["3.0"]


SPREAD = """
import os, signal, socket, sys
from services.ingest.workers import listening_socket, run_workers

def serve(sock):  # answer every connection with this worker's pid
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    os.write(1, b"%d\\n" % os.getpid())  # one write: the workers print at the same time
    while True:
        connection, _ = sock.accept()
        connection.sendall(str(os.getpid()).encode())
        connection.close()

sock = listening_socket("127.0.0.1", 0)
print(sock.getsockname()[1], flush=True)
sys.exit(run_workers(2, serve, sock))
"""


def test_connections_opened_together_are_spread_over_the_workers() -> None:
    # Given two workers on one port,
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SPREAD)], env=env, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        workers = {int(process.stdout.readline()) for _ in range(2)}
        # when a client opens 32 connections at once (as a sender's connection pool does),
        connections = [socket.create_connection(("127.0.0.1", port), 10) for _ in range(32)]
        pids = set()
        for connection in connections:
            with connection:
                pids.add(int(connection.recv(32)))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)

    # then both workers serve some of them, not the first one awake all.
    assert pids == workers


def test_a_port_in_use_is_refused_even_to_a_socket_that_would_share_it() -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()

        with pytest.raises(OSError):
            listening_socket("127.0.0.1", other.getsockname()[1])


def test_every_worker_socket_listens_on_the_port_of_the_first() -> None:
    first = listening_socket("127.0.0.1", 0)
    sockets = worker_sockets(first, 3)
    try:
        assert len(sockets) == 3 and sockets[0] is first
        assert {s.getsockname() for s in sockets} == {first.getsockname()}
    finally:
        for sock in sockets:
            sock.close()


def test_workers_stop_when_their_parent_is_killed_and_the_port_is_free_again() -> None:
    # A supervisor that kills the main process only (`kill -9 <pid>`) must not leave the
    # workers serving the port, where the restarted service could not bind it.
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SPREAD)], env=env, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    workers = {int(process.stdout.readline()) for _ in range(2)}

    process.send_signal(signal.SIGKILL)
    process.wait(20)

    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    with socket.socket() as again:  # bound without sharing: no worker holds the port
        again.bind(("127.0.0.1", port))
