"""Keys a config mapping does not know, reported with what was probably meant.

Tocsin reads its config strictly, as Alertmanager does: a misspelt key (`escalation_polices`,
`resolve_gace`) would otherwise be a setting silently not applied. The parts of an
alertmanager.yml Tocsin does not read are refused with what to do instead, so that pasting a
whole file never leaves receivers or mute times that look configured and do nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping

Location = tuple[str | int, ...]

# Top-level keys starting with this prefix are free for YAML anchors (`x-contacts: &c [...]`).
EXTENSION_PREFIX = "x-"

_NO_TIME_INTERVALS = (
    "Alertmanager time intervals are not supported by Tocsin (a route would page inside them);"
    " use `silences:` for maintenance windows or `urgency:` working hours, and remove it"
)
# The top-level sections of an alertmanager.yml that Tocsin does not read.
ALERTMANAGER_ONLY = {
    "global": (
        "Alertmanager's global settings are not read by Tocsin: give integrations their"
        " `resolve_timeout`, put SMTP under `smtp:`, and remove this section"
    ),
    "receivers": (
        "Alertmanager's receivers are not read by Tocsin: define an escalation policy, channel,"
        " user or team named like each route receiver (README, Configuration), and remove this"
        " section"
    ),
    "templates": "Tocsin renders its own pages and reads no templates; remove this section",
    "time_intervals": _NO_TIME_INTERVALS,
    "mute_time_intervals": _NO_TIME_INTERVALS,
}
# Route keys Alertmanager has and Tocsin does not act on.
ROUTE_TIME_INTERVALS = ("mute_time_intervals", "active_time_intervals")
ROUTE_TIME_INTERVALS_MESSAGE = _NO_TIME_INTERVALS


def unknown_key_problems(
    data: object,
    location: Location,
    known: Collection[str],
    *,
    what: str = "field",
    refused: Mapping[str, str] | None = None,
    extensions: bool = False,
) -> Iterator[tuple[Location, str]]:
    """(location of the key, message) for each key of the mapping `data` not in `known`:
    `refused` ones with their own message, others with the known key they resemble.
    With `extensions`, keys starting with `x-` are allowed (anchors' holders)."""
    if not isinstance(data, Mapping):
        return
    for key in data:
        name = str(key)
        if name in known or (extensions and name.startswith(EXTENSION_PREFIX)):
            continue
        if refused is not None and name in refused:
            yield (*location, name), refused[name]
        else:
            message = unknown_key_message(name, known, what)
            if extensions and "did you mean" not in message:
                message += (
                    f" (a key that only holds YAML anchors must start with {EXTENSION_PREFIX})"
                )
            yield (*location, name), message


def unknown_key_message(name: str, known: Collection[str], what: str = "field") -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(known))}"
    return f"unknown {what}{hint}"
