"""How deeply a stored body may nest.

Every accepted body goes on tocsin.payloads inside its record's envelope, and whoever reads
that topic (export, replay) decodes the record with a JSON parser that stops at 200 levels;
`orjson`, which reads request bodies, takes 1024 and writes 254. A body between the two would
be accepted and then be a record no reader decodes, or fail to be written at all. Senders'
bodies nest a handful of levels: `MAX_BODY_DEPTH` leaves room for the envelope around it.
"""

from __future__ import annotations

from typing import Any

MAX_BODY_DEPTH = 128


def nested_too_deeply(body: Any, limit: int = MAX_BODY_DEPTH) -> bool:
    """Whether `body` (parsed JSON) has more than `limit` levels of objects and arrays; a
    scalar has none. Level by level, looking only at containers, and stops past `limit`."""
    level = [body] if type(body) is dict or type(body) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inner = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                if type(child) is dict or type(child) is list:
                    inner.append(child)
        level = inner
    return False
