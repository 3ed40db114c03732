"""`${NAME}` in a config value: the environment variable NAME, read by each process at load.

Secrets (integration tokens, webhook URLs, the SMTP password) can then stay out of the config
file, and out of the log: the config text is pinned on the log as written, references and
all, so a reader of the log sees `${SLACK_URL}`, never the URL. Each process that reads a
config (from its file or from the log) replaces the references from its own environment, so
every Tocsin process needs the variables its config names.

Only values are read this way, never keys. `$${` writes a literal `${`; any other `$` is
kept as written. An unset variable, or `${` without a variable name, is a config error at
the value's line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

# `$${...}` (escaped) or `${...}`; the name is checked apart, to say what is wrong with it.
_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Location = tuple[str | int, ...]
Problem = Callable[[Location, str], None]


def expand_references(data: Any, problem: Problem, environ: Mapping[str, str] | None = None) -> Any:
    """`data` (a parsed YAML document) with every `${NAME}` in its string values replaced;
    what is wrong goes to `problem(location, message)`."""
    return _expanded(data, (), problem, os.environ if environ is None else environ)


def _expanded(value: Any, location: Location, problem: Problem, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _text(value, location, problem, environ) if "${" in value else value
    if isinstance(value, dict):
        return {k: _expanded(v, (*location, k), problem, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_expanded(v, (*location, i), problem, environ) for i, v in enumerate(value)]
    return value


def _text(text: str, location: Location, problem: Problem, environ: Mapping[str, str]) -> str:
    def replaced(reference: re.Match[str]) -> str:
        escaped, name = reference.group(1), reference.group(2)
        if escaped:
            return "${" + name + "}"
        if not _NAME.fullmatch(name):
            problem(
                location,
                f"`${{{name}}}` names no environment variable (letters, digits and _, not"
                " starting with a digit); write $${ for a literal ${",
            )
            return reference.group(0)
        found = environ.get(name)
        if found is None:
            problem(location, f"environment variable {name} is not set (named as ${{{name}}})")
            return reference.group(0)
        return found

    return _REFERENCE.sub(replaced, text)
