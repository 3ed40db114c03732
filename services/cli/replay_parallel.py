"""Normalizing payloads in worker processes while this process runs the engine.

Normalizers are pure and most of a replay's time, so workers read (from the file itself:
only line offsets travel), parse and normalize chunks of lines while the engine, which must
see every alert in order, runs here alone. Results come back in input order through a
bounded window of chunks, as one JSON document each (`replay_wire`), so the output is
byte-identical to a single-process replay and memory stays flat however long the input.
Each worker knows the re-sends among the lines it normalized (`replay_resend`): for those
only a position comes back.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_input import LineEntry, LineReader, OrderedInput
from services.cli.replay_normalize import PayloadNormalizer
from services.cli.replay_resend import ResendIndex, SentPayload, normalize_lines
from services.cli.replay_wire import decode_chunk, encode_chunk

# Payloads per task: each task costs this process a wake-up of the pool's thread, and each
# result a hand-over; with larger chunks both are seldom.
CHUNK = 1024
PARALLEL_FROM = 5_000  # payloads: below this, starting workers costs more than it saves
_worker: tuple[PayloadNormalizer, LineReader, str, ResendIndex] | None = None


def auto_jobs(payloads: int) -> int:
    """Workers for an input: none for small ones, else one per spare core (at most four)."""
    if payloads < PARALLEL_FROM:
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1)) or 1


def _start_worker(config_path: Path | None, input_path: Path) -> None:
    global _worker
    normalizer = PayloadNormalizer(load_tocsin_config(config_path).ingest)
    _worker = (normalizer, LineReader(input_path), str(input_path), ResendIndex())


def _normalize_chunk(entries: list[LineEntry]) -> bytes:
    assert _worker is not None
    normalizer, reader, path, resends = _worker
    raws = reader.lines(entries)
    lines = ((e[0], raw, f"{path}:{e[3]}") for e, raw in zip(entries, raws, strict=True))
    return encode_chunk(list(normalize_lines(lines, normalizer, resends)))


def normalized_by_workers(
    source: OrderedInput, config_path: Path | None, jobs: int
) -> Iterator[SentPayload]:
    """`source` normalized by `jobs` worker processes, in received_at order."""
    context = multiprocessing.get_context("fork")
    start = (config_path, source.path)
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker, initargs=start
    ) as pool:
        lines = source.entries()
        window: deque[Future[bytes]] = deque()
        while True:
            while len(window) < 4 * jobs:
                chunk = list(islice(lines, CHUNK))
                if not chunk:
                    break
                window.append(pool.submit(_normalize_chunk, chunk))
            if not window:
                return
            yield from decode_chunk(window.popleft().result())
