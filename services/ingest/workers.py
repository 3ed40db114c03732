"""Ingest in several processes on one port (`tocsin ingest --workers N`).

Ingest keeps nothing between requests: each one is authenticated, normalized and appended on
its own, and its answer waits only for its own append. So N processes can serve one listening
socket, and one Python process per core is how ingest uses more than one core. The socket is
bound once, then N workers are forked; each builds its own app, event loop and log producer,
and the kernel hands every new connection to one of them.

The parent only supervises. SIGTERM or SIGINT is passed on to every worker, which finishes its
requests in flight and stops. A worker that ends on its own is a failure: the parent stops the
others and exits non-zero, so the process supervisor restarts the whole service (as a failed
consumer loop stops the process in `services/cli/assembly.py`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

# What a worker runs: serve HTTP on the shared socket until told to stop; its exit code.
Serve = Callable[[socket.socket], int]
_LISTEN_BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (`host`, `port`) and listening, for the workers to share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(_LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def run_workers(count: int, serve: Serve, sock: socket.socket) -> int:
    """Fork `count` workers running `serve(sock)`; return once all have ended.

    0 if they were stopped by a signal and ended cleanly, else the first failure's exit code.
    """
    supervisor = _Supervisor()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # the worker
            os._exit(_worker(serve, sock))
        supervisor.children.add(pid)
    sock.close()  # the workers hold it; once they end, the port is free for a restart
    return supervisor.wait()


def _worker(serve: Serve, sock: socket.socket) -> int:
    # The server installs its own handlers; until then, a signal acts as on any process.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
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
