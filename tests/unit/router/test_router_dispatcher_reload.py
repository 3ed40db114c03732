"""A config reload reaches the dispatcher through its own input log: from the
`RulesetActivated` on `tocsin.notifications` on, pages go through the new config's channels
and contacts, whenever they were requested; a snapshot or a replay of the log keeps the switch,
and an activation older than the config running changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from services.correlator.rulesets import version_of
from services.router.channels.settings import RetryPolicy
from services.router.config import RouterConfig
from services.router.deliverer import ChannelDeliverer
from services.router.dispatcher import Deliverer, DispatcherProcessor
from services.router.metrics import RouterMetrics
from services.router.rulesets import ConfigBook, router_config_from_text
from shared.events import (
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    decode_envelope,
    deterministic_id,
    encode_envelope,
    unwrap,
    wrap,
)
from shared.events.base import Event
from shared.events.incidents import RulesetActivated
from shared.log.port import Outgoing, Record
from shared.topics import NOTIFICATIONS
from tests.support.noting_poster import NotingPoster
from tests.support.sample_page import PAGE_FIELDS

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOOKS = "https://pager.example/hooks"

BEFORE = f"""
users:
  - {{name: alice, contacts: [{{type: webhook, url: "{HOOKS}/alice-old"}}]}}
  - {{name: bob, contacts: [{{type: webhook, url: "{HOOKS}/bob"}}]}}
"""
# The reload moves alice's webhook, adds carol and removes bob.
AFTER = f"""
users:
  - {{name: alice, contacts: [{{type: webhook, url: "{HOOKS}/alice-new"}}]}}
  - {{name: carol, contacts: [{{type: webhook, url: "{HOOKS}/carol"}}]}}
"""


def activation(text: str, at: datetime, source: str = "reload") -> RulesetActivated:
    return RulesetActivated(version=version_of(text), config=text, activated_at=at, source=source)


def requested(notification_id: str, user: str, at: datetime = T0) -> NotificationRequested:
    return NotificationRequested(
        notification_id=notification_id,
        incident_id="INC-1",
        domain="d",
        target=user,
        channel=f"user/{user}/0",
        requested_at=at,
        page=PAGE_FIELDS,
        reason="step due",
    )


class Dispatcher:
    """A dispatcher whose process started at T0 with BEFORE, and what it sent and recorded;
    its input goes on from `offset` (a restarted one reads on after the records it saw)."""

    def __init__(self, started_at: datetime = T0, offset: int = 0) -> None:
        self.registry = CollectorRegistry()
        self.poster = NotingPoster()
        self.outcomes: list[Event] = []
        self._offset = offset
        startup_config = router_config_from_text(BEFORE, "tocsin.yaml")
        assert isinstance(startup_config, RouterConfig)
        self.processor = DispatcherProcessor(
            0,
            self._deliverer_of(startup_config),
            lambda: T0,
            RouterMetrics(self.registry),
            self._record,
            ConfigBook(self._deliverer_of),
            activation(BEFORE, started_at, "dispatcher start"),
        )

    def _deliverer_of(self, config: RouterConfig) -> Deliverer:
        return ChannelDeliverer(
            config,
            base_url="https://tocsin.example",
            link_secret=b"secret",
            poster=self.poster,
            retry=RetryPolicy(max_attempts=1),
            clock=lambda: T0,
        )

    async def _record(self, outgoing: list[Outgoing]) -> None:
        own = [o for o in outgoing if o.topic == NOTIFICATIONS]
        self.outcomes += [unwrap(decode_envelope(o.value)) for o in own]

    def records(self, *events: Event) -> list[Record]:
        batch = []
        for event in events:
            event_id = deterministic_id("input", self._offset)
            envelope = wrap(event, key="INC-1", event_id=event_id, occurred_at=T0)
            batch.append(Record(NOTIFICATIONS, 0, self._offset, "INC-1", encode_envelope(envelope)))
            self._offset += 1
        return batch

    async def handle(self, *events: Event) -> None:
        await self.processor.handle_batch(self.records(*events))
        await self.processor.settled()

    def failures(self) -> list[str]:
        return [o.reason for o in self.outcomes if isinstance(o, NotificationFailed)]


async def test_a_page_to_a_contact_the_reload_added_goes_to_its_url() -> None:
    dispatcher = Dispatcher()

    await dispatcher.handle(activation(AFTER, T0 + MINUTE), requested("n1", "carol"))

    assert dispatcher.poster.posted == [f"{HOOKS}/carol"]
    assert [type(o) for o in dispatcher.outcomes] == [NotificationSent]


async def test_pages_go_through_the_config_active_at_their_point_of_the_log() -> None:
    dispatcher = Dispatcher()

    await dispatcher.handle(
        requested("n1", "alice"),
        activation(AFTER, T0 + MINUTE),
        # requested before the reload, read after it: the new config's address
        requested("n2", "alice", at=T0),
    )

    assert dispatcher.poster.posted == [f"{HOOKS}/alice-old", f"{HOOKS}/alice-new"]


async def test_a_page_to_a_contact_the_reload_removed_fails_as_not_configured() -> None:
    dispatcher = Dispatcher()

    await dispatcher.handle(activation(AFTER, T0 + MINUTE), requested("n1", "bob"))

    assert dispatcher.poster.posted == []
    assert dispatcher.failures() == ["channel user/bob/0 is not configured"]


async def test_a_page_sent_before_the_switch_is_not_sent_again_after_it() -> None:
    dispatcher = Dispatcher()
    await dispatcher.handle(requested("n1", "alice"))

    await dispatcher.handle(activation(AFTER, T0 + MINUTE), requested("n1", "alice"))

    assert dispatcher.poster.posted == [f"{HOOKS}/alice-old"]
    assert len(dispatcher.outcomes) == 1


async def test_a_snapshot_taken_after_the_switch_restores_it() -> None:
    before_restart = Dispatcher()
    await before_restart.handle(activation(AFTER, T0 + MINUTE))
    snapshot = before_restart.processor.snapshot()
    assert snapshot is not None

    restarted = Dispatcher(offset=1)
    restarted.processor.restore(snapshot)
    await restarted.handle(requested("n1", "carol"))

    assert restarted.poster.posted == [f"{HOOKS}/carol"]


async def test_recovery_replaying_the_log_switches_at_the_same_point() -> None:
    live = Dispatcher()
    history = live.records(requested("n1", "alice"), activation(AFTER, T0 + MINUTE))

    recovered = Dispatcher(offset=len(history))
    for record in history:
        recovered.processor.replay(record)
    await recovered.handle(requested("n2", "carol"), requested("n3", "alice"))

    assert recovered.poster.posted == [f"{HOOKS}/carol", f"{HOOKS}/alice-new"]


async def test_an_activation_older_than_the_process_start_changes_nothing() -> None:
    # The process started (with BEFORE, the file then) after that reload was written.
    dispatcher = Dispatcher(started_at=T0 + 2 * MINUTE)

    await dispatcher.handle(activation(AFTER, T0 + MINUTE), requested("n1", "alice"))

    assert dispatcher.poster.posted == [f"{HOOKS}/alice-old"]


async def test_a_config_the_router_cannot_read_leaves_the_one_running() -> None:
    dispatcher = Dispatcher()

    await dispatcher.handle(
        activation("users: [{name: alice, contacts: 7}]\n", T0 + MINUTE), requested("n1", "bob")
    )

    assert dispatcher.poster.posted == [f"{HOOKS}/bob"]
    refused = {"reader": "dispatcher"}
    assert dispatcher.registry.get_sample_value("tocsin_config_rejected_total", refused) == 1


def test_a_config_that_cannot_be_built_is_refused_not_raised() -> None:
    """`rules check` may lack a check the build has: the partition keeps what it had, and the
    consumer loop (and with it the process) goes on."""

    def fails(config: RouterConfig) -> str:
        raise ValueError("smtp: username and password must be set together")

    book: ConfigBook[str] = ConfigBook(fails)
    built = book.built_for(activation(AFTER, T0))
    assert isinstance(built, str)
    assert built.startswith("config accepted but not usable: smtp:")
