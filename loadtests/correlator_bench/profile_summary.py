"""Hot spots of a py-spy `--format raw` profile: the functions with the most samples,
by self time (the sampled frame itself) and by total time (anywhere on the stack)."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# py-spy frames look like `function (path/to/module.py:123)`.
_FRAME = re.compile(r"^(?P<name>.*?) \((?P<path>[^:()]+)(?::\d+)?\)$")


def _function(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["path"]
    for root in ("services/", "shared/", "loadtests/", "site-packages/", "lib/python3"):
        if root in path:
            path = path[path.index(root) :]
            break
    return f"{path}:{match['name']}"


def hot_spots(raw: Path) -> tuple[Counter[str], Counter[str], int]:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
    return own, total, samples


def report(raw: Path, top: int = 15) -> list[str]:
    own, total, samples = hot_spots(raw)
    lines = [f"{samples:,} samples", "self time:"]
    lines += [f"  {n / samples:6.1%}  {name}" for name, n in own.most_common(top)]
    lines.append("total time (on the stack):")
    lines += [f"  {n / samples:6.1%}  {name}" for name, n in total.most_common(top)]
    return lines


if __name__ == "__main__":
    print("\n".join(report(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 15)))
