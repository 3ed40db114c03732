"""Tocsin as subprocesses on one backend: `tocsin up` (embedded) or ingest, correlator and
router on a Tansu broker (kafka). Every process is ours, started here and stopped here."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from loadtests.soak.loadgen import TOKEN
from loadtests.soak.probes import EmbeddedLag, KafkaLag, LagProbe
from shared.log.embedded import EmbeddedLog
from shared.log.kafka import KafkaLog
from shared.log.port import EventLog
from tests.support.brokers import free_port, tansu_broker

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 4
RESOLVE_GRACE_S = 5


def config_yaml(receiver_url: str) -> str:
    return (
        f"integrations:\n  - {{name: soak, type: alertmanager, token: {TOKEN}}}\n"
        f"correlation:\n  domain_labels: [region]\n  resolve_grace: {RESOLVE_GRACE_S}s\n"
        "route:\n  receiver: team\n  group_by: [alertname, cluster]\n  group_wait: 0s\n"
        f'channels:\n  hook: {{type: webhook, url: "{receiver_url}"}}\n'
        "escalation_policies:\n  - name: team\n    steps:\n"
        '      - {delay: 0s, notify: ["channel:hook"]}\n'
    )


@dataclass
class Stack:
    backend: str
    work: Path
    ingest_url: str = ""
    bootstrap: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def lag_probe(self) -> LagProbe:
        if self.backend == "embedded":
            return EmbeddedLag(self.work / "data" / "tocsin.sqlite")
        return KafkaLag(self.bootstrap, PARTITIONS)

    def event_log(self) -> EventLog:
        """A reader of the log (for the audit: after `stop`, while the broker still runs)."""
        if self.backend == "embedded":
            return EmbeddedLog(self.work / "data" / "tocsin.sqlite")
        return KafkaLog(self.bootstrap)

    def exited(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _start(name: str, args: list[str], work: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "services.cli.main", *args, "--port", str(port)]
    env = {
        "PATH": "/usr/bin:/bin",
        "TOCSIN_LOG_LEVEL": "WARNING",
        "TOCSIN_PARTITIONS": str(PARTITIONS),
        "TOCSIN_DATA_DIR": str(work / "data"),  # keeps the link secret out of the checkout
    }
    with (work / f"{name}.log").open("ab") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=REPO)


async def _ready(port: int, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):  # at most 60 s
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"service on port {port} not ready within 60 s")


@contextlib.asynccontextmanager
async def running(backend: str, work: Path, receiver_url: str) -> AsyncIterator[Stack]:
    """Start Tocsin on `backend`, yield it ready, and stop everything on the way out."""
    config = work / "tocsin.yaml"
    config.write_text(config_yaml(receiver_url))
    stack = Stack(backend, work)
    with contextlib.ExitStack() as cleanup:
        if backend == "kafka":  # stopped last: the audit reads it after Tocsin stopped
            stack.bootstrap = cleanup.enter_context(tansu_broker(work / "broker.log"))
        cleanup.callback(stack.stop)
        ingest = free_port()
        stack.ingest_url = f"http://127.0.0.1:{ingest}"
        if backend == "embedded":
            args = ["up", "--config", str(config), "--data", str(work / "data")]
            stack.processes["up"] = _start("up", args, work, ingest)
            await _ready(ingest, stack.processes["up"])
        else:
            common = ["--config", str(config), "--kafka", stack.bootstrap]
            for name in ("ingest", "correlator", "router"):
                port = ingest if name == "ingest" else free_port()
                stack.processes[name] = _start(name, [name, *common], work, port)
                await _ready(port, stack.processes[name])
        await asyncio.sleep(3)  # let the consumer groups settle
        yield stack
