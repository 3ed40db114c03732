"""`python -m loadtests.storm.score DIR`: replay a generated storm under Tocsin's rules and
under the Alertmanager-style baseline, and score both against the ground truth.

Per rule set: incidents, noise reduction (1 - incidents/notifications), alert reduction
(1 - incidents/alert occurrences), and pairwise precision, recall and F1 of grouping: over all
pairs of alert occurrences, a pair is a true positive when the truth and the replay both put
its two occurrences in one incident. An occurrence belongs to the incident its first firing
notification joined.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_input import OrderedInput
from services.cli.replay_run import Replay
from services.cli.replay_tally import ReplayTally

OccurrenceKey = tuple[str, datetime]
_FIRING = frozenset({"opened", "grouped", "deduplicated", "inhibited"})


@dataclass(frozen=True)
class PairScore:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(truth: dict[OccurrenceKey, str], predicted: dict[OccurrenceKey, str]) -> PairScore:
    """Pair counting over the occurrences both sides know, via the contingency table."""
    keys = truth.keys() & predicted.keys()
    both = Counter((truth[k], predicted[k]) for k in keys)
    true_pairs = sum(_pairs(n) for n in Counter(truth[k] for k in keys).values())
    found_pairs = sum(_pairs(n) for n in Counter(predicted[k] for k in keys).values())
    agreed = sum(_pairs(n) for n in both.values())
    return PairScore(
        precision=agreed / found_pairs if found_pairs else 1.0,
        recall=agreed / true_pairs if true_pairs else 1.0,
    )


def read_truth(path: Path) -> dict[OccurrenceKey, str]:
    truth: dict[OccurrenceKey, str] = {}
    with path.open("rb") as lines:
        for line in lines:
            row = orjson.loads(line)
            truth[(row["fingerprint"], datetime.fromisoformat(row["starts_at"]))] = row["incident"]
    return truth


def read_assignments(path: Path) -> dict[OccurrenceKey, str]:
    """Occurrence -> incident of its first firing notification, from a replay's output."""
    found: dict[OccurrenceKey, str] = {}
    with path.open("rb") as lines:
        for line in lines:
            row = orjson.loads(line)
            if row["decision"] in _FIRING and row["incident_id"]:
                key = (row["fingerprint"], datetime.fromisoformat(row["starts_at"]))
                found.setdefault(key, row["incident_id"])
    return found


def replay_to(config_path: Path, alerts: OrderedInput, output: Path) -> ReplayTally:
    with output.open("wb") as sink:
        return Replay(load_tocsin_config(config_path)).run(alerts, sink)


def _row(name: str, tally: ReplayTally, score: PairScore) -> str:
    return (
        f"{name:<10} {tally.incidents:>9,} {tally.noise_reduction:>8.1%} "
        f"{tally.alert_reduction:>8.1%} {score.precision:>9.3f} {score.recall:>7.3f} "
        f"{score.f1:>6.3f}"
    )


def score(folder: Path, configs: dict[str, Path]) -> list[str]:
    alerts = OrderedInput(folder / "alerts.jsonl")
    truth = read_truth(folder / "truth.jsonl")
    lines: list[str] = []
    for name, config in configs.items():
        output = folder / f"incidents.{name}.jsonl"
        tally = replay_to(config, alerts, output)
        if not lines:
            occurrences = len(tally.occurrences)
            lines += [
                f"{folder}: {len(alerts):,} payloads, {tally.notifications:,} notifications, "
                f"{occurrences:,} alert occurrences, {len(set(truth.values())):,} truth incidents",
                f"{'rules':<10} {'incidents':>9} {'noise-':>8} {'alert-':>8} "
                f"{'precision':>9} {'recall':>7} {'F1':>6}",
                f"{'':<10} {'':>9} {'reduct.':>8} {'reduct.':>8}",
            ]
        lines.append(_row(name, tally, pairwise(truth, read_assignments(output))))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.storm.score", description=__doc__)
    parser.add_argument("folder", type=Path, help="the --out folder of loadtests.storm.generate")
    parser.add_argument("--config", type=Path, help="Tocsin config (default: FOLDER/tocsin.yaml)")
    parser.add_argument("--baseline", type=Path, help="default: FOLDER/baseline.yaml")
    args = parser.parse_args()
    configs = {
        "tocsin": args.config or args.folder / "tocsin.yaml",
        "baseline": args.baseline or args.folder / "baseline.yaml",
    }
    print("\n".join(score(args.folder, configs)))


if __name__ == "__main__":
    main()
