"""`${NAME}` in a config value: the environment variable NAME, read by each process at load.

Secrets (integration tokens, webhook URLs, the SMTP password) can then stay out of the config
file, and out of the log: the config text is pinned on the log as written, references and
all, so a reader of the log sees `${SLACK_URL}`, never the URL. Each process that reads a
config (from its file or from the log) replaces the references from its own environment, so
every Tocsin process needs the variables its config names.

Only string values are read this way, never keys. `$${` writes a literal `${`; any other `$`
is kept as written. An unset variable, a `${` without a variable name or without its `}`, is
a config error at the value's line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

# `$${` (escaped) or `${` up to the next `}` or, unterminated, to the end of the value. Never
# backtracking, so a long value full of `${` is read in one pass.
_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)(\}?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Location = tuple[str | int, ...]
Problem = Callable[[Location, str], None]


def expand_references(data: Any, problem: Problem, environ: Mapping[str, str] | None = None) -> Any:
    """`data` (a parsed YAML document) with every `${NAME}` in its string values replaced;
    what is wrong goes to `problem(location, message)`, once per value written."""
    return _Expansion(problem, os.environ if environ is None else environ).value(data, ())


class _Expansion:
    def __init__(self, problem: Problem, environ: Mapping[str, str]) -> None:
        self._problem = problem
        self._environ = environ
        # A mapping or list an alias repeats is one object: read once, whatever its uses
        # (a few bytes of aliases can stand for billions of values).
        self._done: dict[int, Any] = {}

    def value(self, value: Any, location: Location) -> Any:
        if isinstance(value, str):
            return self._text(value, location) if "${" in value else value
        if not isinstance(value, dict | list):
            return value
        done = self._done.get(id(value))
        if done is not None:
            return done
        if isinstance(value, dict):
            expanded: Any = {k: self.value(v, (*location, k)) for k, v in value.items()}
        else:
            expanded = [self.value(v, (*location, i)) for i, v in enumerate(value)]
        self._done[id(value)] = expanded
        return expanded

    def _text(self, text: str, location: Location) -> str:
        def replaced(reference: re.Match[str]) -> str:
            escaped, name, closed = reference.groups()
            if escaped:  # `$${`: a literal `${`, the rest read on
                return "${" + reference.group(0)[3:]
            if not closed:
                self._problem(location, "a `${` without its `}`; write $${ for a literal ${")
            elif not _NAME.fullmatch(name):
                self._problem(
                    location,
                    "`${...}` names no environment variable (letters, digits and _, not"
                    " starting with a digit); write $${ for a literal ${",
                )
            elif (found := self._environ.get(name)) is not None:
                return found
            else:
                self._problem(location, f"environment variable {name} is not set")
            return reference.group(0)

        return _REFERENCE.sub(replaced, text)
