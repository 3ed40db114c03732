"""Python's cyclic garbage collector, tuned for Tocsin's servers.

Each alert makes a few dozen short-lived objects (the parsed body, the `Alert`, events and
records), freed by reference counting once handled; almost none form cycles. Yet with the
default thresholds the collector ran every 700 objects, each time walking every object in
flight, promoting them to older generations, and every few seconds walking the whole heap
(the services' state included): measured under the ingest benchmark, a fifth of a worker's CPU.

So each server process, before it serves:
- freezes what it holds already (modules, classes, the config: kept until the process ends),
  so that full collections walk only what was made since, not the ~90,000 objects of startup;
- collects the youngest generation after 10,000 new objects instead of 700, so in-flight
  requests are walked a few times less and far fewer of them are promoted. Cyclic garbage
  still goes, at most 10,000 objects later;
- freezes, after each collection, what survived it: objects that outlive a collection are
  mostly the services' state (open incidents, escalations, the read model), and walked again
  by every collection of the older generations, a thousand new incidents a second made pauses
  of 40 to 60 ms every two or three seconds, each holding every page in flight (measured with
  `loadtests/latency_bench`: p99 fell from 75-135 ms to 50-95 ms at 1,000 alerts/s). Frozen
  objects are still freed by reference counting; only a cycle among them would stay (the
  collections measured found next to none), so every `RECLAIM_EVERY_S` everything is
  unfrozen and collected once, in one longer pause.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

# Young objects between collections (Python's default: 700); the older generations keep
# their default ratios.
YOUNG_THRESHOLD = 10_000
RECLAIM_EVERY_S = 600.0

_reclaimer: threading.Thread | None = None


def tune_collector() -> None:
    """Freeze the objects made so far, collect the youngest generation less often, and from
    now on freeze what outlives each collection."""
    global _reclaimer
    gc.collect()  # what startup left as garbage goes now, not frozen with the rest
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    if freeze_survivors not in gc.callbacks:
        gc.callbacks.append(freeze_survivors)
    if _reclaimer is None:
        _reclaimer = threading.Thread(target=_reclaim_forever, name="tocsin-gc", daemon=True)
        _reclaimer.start()


def freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    """A `gc.callbacks` hook: freeze what a collection leaves."""
    if phase == "stop":
        gc.freeze()


def reclaim() -> int:
    """Unfreeze and collect everything once (cycles among frozen objects go), then freeze
    the survivors again; the number of objects collected."""
    gc.unfreeze()
    return gc.collect()  # `freeze_survivors` freezes the survivors as it ends


def _reclaim_forever() -> None:
    while True:
        time.sleep(RECLAIM_EVERY_S)
        reclaim()
