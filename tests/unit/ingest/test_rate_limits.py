"""Token buckets of the per-integration rate limits, on a clock the test sets: no sleeps."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.ingest.config import IntegrationConfig, RateLimitConfig
from services.ingest.rate_limits import OverBurst, RateLimits, Refusal, Throttled, TokenBucket

ADMITTED = None


@dataclass(frozen=True)
class Take:
    at: float  # seconds on the bucket's clock
    count: int
    expected: Refusal | None


# (case, alerts per second, burst, requests in order)
CASES: list[tuple[str, float, int, list[Take]]] = [
    (
        "a full bucket admits its burst at once, then nothing more",
        1,
        5,
        [Take(0, 5, ADMITTED), Take(0, 1, Throttled(1))],
    ),
    (
        "it fills at the rate",
        2,
        10,
        [
            Take(0, 10, ADMITTED),
            Take(1, 2, ADMITTED),
            Take(1, 1, Throttled(1)),
            Take(2.5, 3, ADMITTED),
            Take(2.5, 1, Throttled(1)),
        ],
    ),
    (
        "it never fills above the burst, however long it idles",
        10,
        3,
        [Take(0, 3, ADMITTED), Take(100, 3, ADMITTED), Take(100, 1, Throttled(1))],
    ),
    (
        "a request larger than what is left is refused whole and takes nothing",
        1,
        10,
        [
            Take(0, 7, ADMITTED),
            Take(0, 4, Throttled(1)),
            Take(0, 3, ADMITTED),
            Take(0, 1, Throttled(1)),
        ],
    ),
    (
        "retry after: the seconds until the request's alerts fit, rounded up",
        0.5,
        4,
        [
            Take(0, 4, ADMITTED),
            Take(0, 3, Throttled(6)),
            Take(5.9, 3, Throttled(1)),
            Take(6, 3, ADMITTED),
        ],
    ),
    (
        "a slow rate: one alert each ten seconds",
        0.1,
        1,
        [
            Take(0, 1, ADMITTED),
            Take(0, 1, Throttled(10)),
            Take(9, 1, Throttled(1)),
            Take(10, 1, ADMITTED),
            Take(30, 1, ADMITTED),
            Take(40, 1, ADMITTED),
        ],
    ),
    (
        "a request larger than the burst can never fit, and takes nothing",
        1,
        3,
        [Take(0, 4, OverBurst(3)), Take(0, 3, ADMITTED), Take(0, 4, OverBurst(3))],
    ),
]


@pytest.mark.parametrize(
    ("rate", "burst", "takes"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_bucket_admits_what_its_rate_and_burst_allow(
    rate: float, burst: int, takes: list[Take]
) -> None:
    bucket = TokenBucket(rate, burst, now=0.0)

    outcomes = [bucket.take(take.count, take.at) for take in takes]

    assert outcomes == [take.expected for take in takes]


def test_a_refused_request_leaves_the_tokens_as_they_were() -> None:
    bucket = TokenBucket(1, 10, now=0.0)
    bucket.take(6, 0.0)

    refused = bucket.take(5, 0.5)

    assert refused == Throttled(1)
    assert bucket.available(0.5) == 4.5


@dataclass
class ManualClock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


def integration(name: str, rate: float | None = None, burst: int = 1) -> IntegrationConfig:
    limit = None if rate is None else RateLimitConfig(alerts_per_second=rate, burst=burst)
    return IntegrationConfig(name=name, type="canonical", token=f"{name}-token", rate_limit=limit)


def test_an_integration_without_a_rate_limit_is_never_limited() -> None:
    limits = RateLimits([integration("free")], ManualClock())

    assert [limits.take("free", 100_000) for _ in range(100)] == [ADMITTED] * 100


def test_each_integration_has_its_own_bucket() -> None:
    clock = ManualClock()
    limits = RateLimits([integration("a", 1, 2), integration("b", 1, 2)], clock)

    assert limits.take("a", 2) is ADMITTED
    assert limits.take("a", 1) == Throttled(1)
    assert limits.take("b", 2) is ADMITTED
    clock.now += 1
    assert limits.take("a", 1) is ADMITTED


def test_a_request_without_alerts_still_takes_a_token_for_its_body() -> None:
    limits = RateLimits([integration("a", 1, 1)], ManualClock())

    assert limits.take("a", 0) is ADMITTED
    assert limits.take("a", 0) == Throttled(1)


def test_worker_processes_share_the_rate_and_each_keeps_the_whole_burst() -> None:
    clock = ManualClock()
    limits = RateLimits([integration("a", 8, 20)], clock, processes=4)  # 2/s each, burst 20

    assert limits.take("a", 21) == OverBurst(20)
    assert limits.take("a", 20) is ADMITTED  # a batch the configured burst allows fits here too
    assert limits.take("a", 1) == Throttled(1)
    clock.now += 0.5
    assert limits.take("a", 1) is ADMITTED
    assert limits.take("a", 4) == Throttled(2)  # 4 alerts at this process's 2/s


def test_tokens_given_back_refill_the_bucket_but_never_past_its_burst() -> None:
    limits = RateLimits([integration("a", 1, 3)], ManualClock())

    assert limits.take("a", 3) is ADMITTED
    limits.give_back("a", 2)
    assert limits.take("a", 3) == Throttled(1)
    assert limits.take("a", 2) is ADMITTED
    limits.give_back("a", 10)
    assert limits.take("a", 4) == OverBurst(3)
    assert limits.take("a", 3) is ADMITTED
    limits.give_back("b", 5)  # an integration without a limit: nothing to give back
