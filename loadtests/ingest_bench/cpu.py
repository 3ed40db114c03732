"""CPU time of a server's processes, from /proc (Linux): the cost per alert, which a busy
machine distorts far less than it distorts alerts per second."""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and every live process below it (ingest workers)."""
    ticks = 0
    for member in _tree(pid):
        fields = _stat(member)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def pid_with_argument(argument: str) -> int | None:
    """The process whose command line holds `argument` (e.g. its listen address)."""
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:  # it ended meanwhile
                continue
            if argument.encode() in arguments:
                return int(entry.name)
    return None


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))  # by parent
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()
