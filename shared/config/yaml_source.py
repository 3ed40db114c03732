"""YAML loading that remembers where each value was written, for errors naming file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Location = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """Invalid configuration; the message lists every problem as `file:line: field: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ConfigSource:
    """A parsed config document and the line of every key and list item in it."""

    path: str
    data: dict[str, Any]
    lines: dict[Location, int]

    def line_of(self, location: Location) -> int | None:
        for end in range(len(location), -1, -1):
            line = self.lines.get(location[:end])
            if line is not None:
                return line
        return None

    def error(self, location: Location, message: str) -> str:
        line = self.line_of(location)
        where = f"{self.path}:{line}" if line is not None else self.path
        field = ".".join(str(part) for part in location) or "(top level)"
        return f"{where}: {field}: {message}"

    def validate(self, model: type[M], location: Location = ()) -> M:
        """Validate the part of the document at `location` as `model`."""
        value: Any = self.data
        for part in location:
            value = value.get(part) if isinstance(value, dict) else None
        try:
            return model.model_validate(value if value is not None else {})
        except ValidationError as invalid:
            raise ConfigError(
                [self.error(location + tuple(e["loc"]), e["msg"]) for e in invalid.errors()]
            ) from None


def _collect_lines(node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*location, key)] = key_node.start_mark.line + 1
            _collect_lines(value_node, (*location, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*location, index), lines)


def parse_config_text(text: str, path: str) -> ConfigSource:
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as broken:
        mark = getattr(broken, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise ConfigError([f"{where}: not valid YAML: {broken}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: (top level): the config must be a mapping"])
    lines: dict[Location, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return ConfigSource(path=path, data=data, lines=lines)


def load_config_file(path: Path) -> ConfigSource:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as missing:
        raise ConfigError([f"{path}: cannot read: {missing.strerror}"]) from None
    return parse_config_text(text, str(path))
