"""Ingest in several processes on one port (`tocsin ingest --workers N`).

Ingest keeps nothing between requests: each one is authenticated, normalized and appended on
its own, and its answer waits only for its own append. So N processes can serve one port, and
one Python process per core is how ingest uses more than one core. The parent binds one
listening socket per worker, all on the port (`SO_REUSEPORT`), then forks N workers; each
keeps its own socket and builds its own app, event loop and log producer.

Why a socket each rather than one shared: with one socket, every worker is woken by each new
connection and the first awake accepts all that are waiting, so connections opened together
(a sender's pool of keep-alive connections) mostly land on one worker while the others idle.
With a socket per worker, the kernel spreads connections over the workers by address hash.
The port is first bound without `SO_REUSEPORT`, so a port another process holds is refused
as before rather than silently shared.

The parent only supervises. SIGTERM or SIGINT is passed on to every worker, which finishes its
requests in flight and stops. A worker that ends on its own is a failure: the parent stops the
others and exits non-zero, so the process supervisor restarts the whole service (as a failed
consumer loop stops the process in `services/cli/assembly.py`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
from collections.abc import Callable
from types import FrameType

from shared.runtime.collector import tune_collector

log = logging.getLogger(__name__)

# What a worker runs: serve HTTP on the shared socket until told to stop; its exit code.
Serve = Callable[[socket.socket], int]
_LISTEN_BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (`host`, `port`) and listening, the first of the workers'.

    Port 0 picks a free port. OSError if the port is in use, even by a socket that would
    share it: the probe that checks this does not ask to share.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        address = probe.getsockname()
    return _bound(family, address)


def _bound(family: socket.AddressFamily, address: tuple[str, int]) -> socket.socket:
    """A listening socket on `address` that other workers' sockets may share."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
        sock.listen(_LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def worker_sockets(first: socket.socket, count: int) -> list[socket.socket]:
    """`first` and `count - 1` more listening sockets on its port, one for each worker."""
    address = first.getsockname()[:2]
    sockets = [first]
    try:
        sockets += [_bound(first.family, address) for _ in range(count - 1)]
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def run_workers(count: int, serve: Serve, sock: socket.socket) -> int:
    """Fork `count` workers, each running `serve` on its own socket on the port of `sock`
    (from `listening_socket`); return once all have ended.

    0 if they were stopped by a signal and ended cleanly, else the first failure's exit code.
    """
    sockets = worker_sockets(sock, count)
    supervisor = _Supervisor()
    parent = os.getpid()
    for mine in sockets:
        pid = os.fork()
        if pid == 0:  # the worker: keeps its own socket only, so none is left unserved
            _end_with(parent)
            for other in sockets:
                if other is not mine:
                    other.close()
            os._exit(_worker(serve, mine))
        supervisor.children.add(pid)
    for each in sockets:  # the workers hold them; once they end, the port is free again
        each.close()
    return supervisor.wait()


_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


def _end_with(parent: int) -> None:
    """Have this worker told to stop (SIGTERM) when the parent ends, even killed: a supervisor
    that kills the main process only (`kill -9` of its pid) would otherwise leave the workers
    serving the port, and the restarted service could not bind it. Linux only."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the request took hold
        os._exit(0)


def _worker(serve: Serve, sock: socket.socket) -> int:
    # The server installs its own handlers; until then, a signal acts as on any process.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        tune_collector()  # once the worker holds all it keeps (see `collector.py`)
        return serve(sock)
    except BaseException:  # the worker must end here, never return into the parent's code
        log.exception("ingest worker failed")
        return 1


class _Supervisor:
    """Installed before the first fork, so a signal meanwhile cannot orphan a worker."""

    def __init__(self) -> None:
        self.children: set[int] = set()
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop_all)
        signal.signal(signal.SIGINT, self._stop_all)

    def _stop_all(self, signum: int = signal.SIGTERM, _: FrameType | None = None) -> None:
        self.stopping = True
        for pid in self.children:
            _signal(pid, signal.SIGTERM)

    def wait(self) -> int:
        exit_code = 0
        while self.children:
            pid, status = os.wait()
            self.children.discard(pid)
            code = _exit_status(status)
            if not self.stopping:
                log.error("ingest worker ended; stopping the others", extra={"pid": pid})
                exit_code = code or 1
                self._stop_all()
            elif code not in _STOPPED and not exit_code:
                exit_code = code
        return exit_code


def _exit_status(wait_status: int) -> int:
    """A child's exit code, or 128 + the signal that killed it (as shells report it)."""
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


# How a worker told to stop may end: uvicorn, once it has shut down, raises the signal it
# caught again, and the default action ends the process with it.
_STOPPED = frozenset({0, 128 + signal.SIGTERM, 128 + signal.SIGINT})


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile; os.wait collects it
        os.kill(pid, signum)
