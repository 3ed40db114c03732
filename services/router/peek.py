"""Reading a record's event type off its first bytes, so that readers interested in a few
types (the read model, the dispatcher) skip the others without decoding them.

The codec writes every envelope as compact JSON starting `{"event_id":"<uuid>","type":"`
(its pinned format). When a record starts that way, the type is the string that follows;
any other layout gives None and the reader decodes the record to learn its type.
"""

from __future__ import annotations

_PREFIX = b'{"event_id":"'
_UUID_LENGTH = 36
_TYPE_KEY = b'","type":"'
_TYPE_KEY_AT = len(_PREFIX) + _UUID_LENGTH
_TYPE_AT = _TYPE_KEY_AT + len(_TYPE_KEY)
_LONGEST_TYPE = 64


def peek_type(value: bytes) -> str | None:
    """The envelope's `type`, or None when the record is not laid out as the codec writes."""
    if not value.startswith(_PREFIX) or value[_TYPE_KEY_AT:_TYPE_AT] != _TYPE_KEY:
        return None
    end = value.find(b'"', _TYPE_AT, _TYPE_AT + _LONGEST_TYPE)
    if end < 0:
        return None
    kind = value[_TYPE_AT:end]
    return kind.decode() if kind.isalnum() else None
