"""Typed reading of Alertmanager YAML sections (as loaded by PyYAML) with errors naming the field.

Alertmanager loads its config strictly, so unknown keys and wrongly typed values are errors here
too, rather than silently ignored settings.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from shared.alertmanager.matchers import Matcher, MatcherError, legacy_matcher, parse_matchers

Location = tuple[str | int, ...]


class AlertmanagerConfigError(ValueError):
    """Invalid Alertmanager-style config; the message starts with the field path."""

    def __init__(self, location: Location, message: str) -> None:
        self.location = location
        self.path = format_location(location)
        super().__init__(f"{self.path}: {message}")


def format_location(location: Location) -> str:
    """`("route", "routes", 2, "group_wait")` -> `route.routes[2].group_wait`."""
    parts: list[str] = []
    for step in location:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{step}" if parts else step)
    return "".join(parts)


class Section:
    """One mapping of the config, with the location used in its errors."""

    def __init__(
        self,
        data: object,
        location: Location,
        allowed: Collection[str],
        error: type[AlertmanagerConfigError],
    ) -> None:
        self.location = location
        self.error = error
        if not isinstance(data, Mapping):
            raise error(location, f"expected a mapping, got {_kind(data)}")
        unknown = sorted(str(key) for key in data if key not in allowed)
        if unknown:
            raise error(location, f"unknown field {unknown[0]!r}")
        self.data: Mapping[object, object] = data

    def fail(self, key: str | int, message: str) -> AlertmanagerConfigError:
        return self.error((*self.location, key), message)

    def string(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.fail(key, f"expected a string, got {_kind(value)}")

    def boolean(self, key: str) -> bool:
        value = self.data.get(key, False)
        if value is None:  # `continue:` with no value: Go's YAML decoder leaves it false
            return False
        if isinstance(value, bool):
            return value
        raise self.fail(key, f"expected true or false, got {_kind(value)}")

    def string_list(self, key: str, *, nulls_as_empty: bool = False) -> list[str] | None:
        """The list of strings at `key`; with `nulls_as_empty`, a null item reads as "" (Go's
        YAML decoder leaves a null string empty, as Alertmanager reads `matchers`)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of strings, got {_kind(value)}")
        if nulls_as_empty:
            value = ["" if item is None else item for item in value]
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(
                    (*self.location, key, index), f"expected a string, got {_kind(item)}"
                )
        return value

    def label_map(self, key: str) -> dict[str, str]:
        """A legacy `match`-style map; scalars become their text as Go's YAML decoder does."""
        value = self.data.get(key) or {}
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping of label to value, got {_kind(value)}")
        result: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, bool):
                item = "true" if item else "false"
            elif isinstance(item, int):
                item = str(item)
            if not isinstance(name, str) or not isinstance(item, str):
                raise self.error((*self.location, key, str(name)), "expected a quoted string")
            result[name] = item
        return result

    def matchers(self, prefix: str = "") -> list[Matcher]:
        """`{prefix}match`, `{prefix}match_re` and `{prefix}matchers`, ANDed as one list."""
        found: list[Matcher] = []
        for key, is_regex in ((f"{prefix}match", False), (f"{prefix}match_re", True)):
            for name, value in self.label_map(key).items():
                try:
                    found.append(legacy_matcher(name, value, regex=is_regex))
                except MatcherError as err:
                    raise self.error((*self.location, key, name), str(err)) from err
        key = f"{prefix}matchers"
        for index, text in enumerate(self.string_list(key, nulls_as_empty=True) or []):
            try:
                found += parse_matchers(text)
            except MatcherError as err:
                raise self.error((*self.location, key, index), str(err)) from err
        return found


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
