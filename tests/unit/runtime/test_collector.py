"""The tuned collector: what outlives a collection is frozen (walked by none after it), still
freed by reference counting, and a cycle among frozen objects goes at the next reclaim.

Each case runs in its own interpreter: the tuning is process-wide and would change how every
other test's garbage is collected."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(body: str) -> str:
    program = "import gc\nfrom shared.runtime import collector\n" + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_what_outlives_a_collection_is_frozen_and_still_freed_when_dropped() -> None:
    out = _run(
        """
        collector.tune_collector()
        before = gc.get_freeze_count()
        state = [[index] for index in range(5000)]  # lists: always tracked by the collector
        gc.collect(0)
        frozen = gc.get_freeze_count() - before
        del state
        print(frozen >= 5000, gc.get_freeze_count() - before < 100)
        """
    )
    assert out == "True True"


def test_a_cycle_among_frozen_objects_outlives_collections_until_reclaimed() -> None:
    out = _run(
        """
        import weakref
        class Node:
            pass
        collector.tune_collector()
        first, second = Node(), Node()
        first.other, second.other = second, first
        watch = weakref.ref(first)
        gc.collect()  # both survive it, so they are frozen
        del first, second
        gc.collect()
        kept = watch() is not None
        collected = collector.reclaim()
        print(kept, watch() is None, collected >= 2)
        """
    )
    assert out == "True True True"


def test_collections_after_tuning_walk_the_young_generation_after_10000_objects() -> None:
    out = _run(
        """
        collector.tune_collector()
        print(gc.get_threshold()[0], collector.freeze_survivors in gc.callbacks)
        """
    )
    assert out == "10000 True"
