"""Record keys of alerts: `shared.topics.domain_key`, with each label's `name=` built once.

Ingest keys every alert it accepts by its correlation domain; the generic function formats
every name again for each alert, which cost more than encoding the key's record header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

KeyOf = Callable[[Mapping[str, str]], str]


def domain_keyer(domain_labels: Sequence[str]) -> KeyOf:
    """A function giving `domain_key(labels, domain_labels)` for any labels."""
    prefixes = tuple((name, f"{name}=") for name in domain_labels)
    if len(prefixes) == 1:  # the usual case, e.g. [region]
        ((name, prefix),) = prefixes
        return lambda labels: prefix + labels.get(name, "")
    return lambda labels: ",".join([prefix + labels.get(name, "") for name, prefix in prefixes])
