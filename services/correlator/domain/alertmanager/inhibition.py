"""Alertmanager 0.25 inhibition: which firing alert, under which rule, mutes a target alert."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.alertmanager.matchers import LABEL_NAME_RE, Matcher, matches_all

from .config_fields import AlertmanagerConfigError, Section

_RULE_FIELDS = frozenset(
    {
        "source_match",
        "source_match_re",
        "source_matchers",
        "target_match",
        "target_match_re",
        "target_matchers",
        "equal",
    }
)


class InhibitRuleConfigError(AlertmanagerConfigError):
    """An invalid `inhibit_rules` entry; the message starts with e.g. `inhibit_rules[1].equal`."""


@dataclass(frozen=True)
class InhibitRule:
    """Alerts matching `source_matchers` mute alerts matching `target_matchers` when they agree
    on every `equal` label. Empty matchers match every alert."""

    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]
    equal: tuple[str, ...]


def parse_inhibit_rules(data: object) -> list[InhibitRule]:
    """Parse the `inhibit_rules:` list (new-style and legacy matcher fields, ANDed)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise InhibitRuleConfigError(("inhibit_rules",), "expected a list of rules")
    return [_parse_rule(item, index) for index, item in enumerate(data)]


def _parse_rule(item: object, index: int) -> InhibitRule:
    section = Section(item, ("inhibit_rules", index), _RULE_FIELDS, InhibitRuleConfigError)
    equal = section.string_list("equal") or []
    for position, name in enumerate(equal):
        if LABEL_NAME_RE.fullmatch(name) is None:
            location = (*section.location, "equal", position)
            raise InhibitRuleConfigError(location, f"invalid label name {name!r}")
    return InhibitRule(
        source_matchers=tuple(section.matchers("source_")),
        target_matchers=tuple(section.matchers("target_")),
        equal=tuple(equal),
    )


def inhibited_by(
    rules: Iterable[InhibitRule],
    target_labels: Mapping[str, str],
    active_sources: Iterable[tuple[str, Mapping[str, str]]],
) -> tuple[int, str] | None:
    """The first (rule index, source fingerprint) that mutes the target, or None.

    `active_sources` are `(fingerprint, labels)` of the alerts that are not resolved, silenced
    and inhibited ones included (they still inhibit). The target may be among them: the
    self-inhibition exclusion below keeps it from muting itself. Alertmanager reports one
    source, picked in map order; this picks the first in `active_sources` order.
    """
    sources = list(active_sources)  # scanned once per rule
    for index, rule in enumerate(rules):
        if not matches_all(rule.target_matchers, target_labels):
            continue
        # An alert matching both sides never inhibits another that does (it would mute itself);
        # so a rule with only target matchers mutes nothing until a non-target alert fires.
        target_is_also_source = matches_all(rule.source_matchers, target_labels)
        for fingerprint, labels in sources:
            if _inhibits(rule, labels, target_labels, target_is_also_source):
                return index, fingerprint
    return None


def _inhibits(
    rule: InhibitRule,
    source: Mapping[str, str],
    target: Mapping[str, str],
    target_is_also_source: bool,
) -> bool:
    if not matches_all(rule.source_matchers, source):
        return False
    # A label missing on one side differs from one that is set; missing on both sides is equal.
    if any(source.get(name, "") != target.get(name, "") for name in rule.equal):
        return False
    return not (target_is_also_source and matches_all(rule.target_matchers, source))
