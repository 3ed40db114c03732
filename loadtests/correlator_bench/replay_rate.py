"""Notifications per second through `tocsin replay`, over a generated storm."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Notifications per storm hour with the generator's default shape (three regions).
_PER_HOUR = 480


@dataclass(frozen=True)
class ReplayFigures:
    notifications: int
    seconds: float
    max_rss_mb: float

    @property
    def rate(self) -> float:
        return self.notifications / self.seconds


def ensure_storm(work: Path, notifications: int, start: str = "2026-11-02T00:00:00+00:00") -> Path:
    """A storm of exactly `notifications` notifications (made once, then reused)."""
    folder = work / f"storm-{notifications}-{start[:10]}"
    if not (folder / "truth.jsonl").exists():
        hours = math.ceil(notifications / _PER_HOUR * 1.2) + 1
        args = ["--out", str(folder), "--hours", str(hours), "--start", start]
        # In a process of its own: a child started later from a bench process that had held
        # the storm (hundreds of MB) reported that as its own peak RSS.
        command = [sys.executable, "-m", "loadtests.storm.generate", *args]
        command += ["--max-notifications", str(notifications)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder


def replay_command(folder: Path, input_path: Path, output: Path) -> list[str]:
    command = [sys.executable, "-m", "services.cli.main", "replay"]
    command += ["--config", str(folder / "tocsin.yaml"), "--input", str(input_path)]
    return [*command, "--output", str(output)]


def time_replay(folder: Path) -> ReplayFigures:
    """`tocsin replay` of the whole storm in a child process: wall time and peak memory."""
    output = folder / "bench-incidents.jsonl"
    started = time.monotonic()
    process = subprocess.Popen(
        replay_command(folder, folder / "alerts.jsonl", output), stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"tocsin replay exited with {process.returncode}")
    with output.open("rb") as lines:
        notifications = sum(1 for _ in lines)
    return ReplayFigures(notifications, seconds, usage.ru_maxrss / 1024)


def py_spy() -> str | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return spy if Path(spy).exists() else None


def profile_replay(folder: Path, lines: int) -> Path | None:
    """py-spy samples of `tocsin replay --jobs 0` (normalizers and engine in one process, so
    one profile shows both) over the first `lines` payloads; None without py-spy."""
    spy = py_spy()
    if spy is None:
        return None
    prefix = folder / f"bench-prefix-{lines}.jsonl"
    with (folder / "alerts.jsonl").open("rb") as source, prefix.open("wb") as sink:
        for index, line in enumerate(source):
            if index == lines:
                break
            sink.write(line)
    raw = folder / "bench-replay.pyspy.txt"
    command = [spy, "record", "-r", "200", "-f", "raw", "-o", str(raw), "--"]
    command += replay_command(folder, prefix, folder / "bench-prefix-incidents.jsonl")
    command += ["--jobs", "0"]
    subprocess.run(command, check=True, capture_output=True)
    return raw
