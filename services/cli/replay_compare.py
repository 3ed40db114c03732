"""Two rule sets over the same input: which incidents of the first the second merges or splits
(`tocsin replay --compare`: the first is the `--compare` config, the rules in force, the second
the `--config` tried).

Firing notifications are matched by position (payload rank, alert index), so both replays
must read the same input. An incident of the first rule set is *split* when its notifications
land in more than one incident of the second; an incident of the second *merges* when its
notifications come from more than one incident of the first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from services.cli.replay_tally import ReplayTally

EXAMPLES = 5


@dataclass(frozen=True)
class Comparison:
    incidents: tuple[int, int]
    # second-rule-set incident -> the first rule set's incidents it merges (more than one)
    merged: list[tuple[str, list[str]]]
    # first-rule-set incident -> the second rule set's incidents it is split into
    split: list[tuple[str, list[str]]]


def compare(first: ReplayTally, second: ReplayTally) -> Comparison:
    forward: dict[str, set[str]] = defaultdict(set)
    backward: dict[str, set[str]] = defaultdict(set)
    for key, incident in first.assignments.items():
        other = second.assignments.get(key)
        if other is not None:
            forward[incident].add(other)
            backward[other].add(incident)
    return Comparison(
        incidents=(first.incidents, second.incidents),
        merged=_many(backward),
        split=_many(forward),
    )


def _many(mapping: dict[str, set[str]]) -> list[tuple[str, list[str]]]:
    found = [(key, sorted(values)) for key, values in mapping.items() if len(values) > 1]
    return sorted(found, key=lambda item: (-len(item[1]), item[0]))


def comparison_lines(comparison: Comparison, first: str, second: str) -> list[str]:
    # An incident may take part in several merges (splits): it is counted once.
    merged_from = len({source for _, sources in comparison.merged for source in sources})
    split_into = len({part for _, parts in comparison.split for part in parts})
    lines = [
        f"from {first} to {second}",
        f"  incidents              {comparison.incidents[0]:>8,} -> {comparison.incidents[1]:,}",
        f"  merged                 {merged_from:>8,} incidents of {first} into "
        f"{len(comparison.merged):,} of {second}",
        f"  split                  {len(comparison.split):>8,} incidents of {first} into "
        f"{split_into:,} of {second}",
    ]
    for target, sources in comparison.merged[:EXAMPLES]:
        lines.append(f"    merged: {_listed(sources)} -> {target}")
    for source, parts in comparison.split[:EXAMPLES]:
        lines.append(f"    split:  {source} -> {_listed(parts)}")
    return lines


def _listed(ids: list[str]) -> str:
    shown = ", ".join(ids[:4])
    return shown + (f" (+{len(ids) - 4} more)" if len(ids) > 4 else "")
