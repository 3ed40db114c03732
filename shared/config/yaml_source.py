"""YAML loading that remembers where each value was written, for errors naming file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from shared.config.env_references import expand_references
from shared.config.unknown_keys import unknown_key_message

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
        field = ".".join(_shown(part) for part in location) or "(top level)"
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
                [self.error(location + tuple(e["loc"]), _said(model, e)) for e in invalid.errors()]
            ) from None


def _said(model: type[BaseModel], error: ErrorDetails) -> str:
    """Pydantic's message for one error, as an SRE reads it: no `Value error, ` prefix, and
    an unknown key with the field it resembles."""
    if error["type"] == "extra_forbidden" and error["loc"]:
        known = _fields_at(model, error["loc"][:-1])
        if known:
            return unknown_key_message(str(error["loc"][-1]), known)
    return error["msg"].removeprefix("Value error, ")


def _fields_at(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found at `location` inside `model`; [] if not one model."""
    annotation: Any = model
    for part in location:
        annotation = _unwrapped(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) in (list, tuple, dict):
            annotation = get_args(annotation)[-1 if get_origin(annotation) is dict else 0]
        else:
            return []
    annotation = _unwrapped(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrapped(annotation: Any) -> Any:
    """`X` of `Annotated[X, ...]` and of `X | None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        members = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) in (Union, UnionType) and len(members) == 1:
            annotation = members[0]
            continue
        return annotation


def _collect_lines(
    node: yaml.Node,
    location: Location,
    lines: dict[Location, int],
    seen: set[int],
    duplicates: list[tuple[Location, int, int]],
) -> None:
    """Record the line of every key and item, visiting each node once: an alias is not walked
    again (a small document can expand to billions of nodes), and one that contains itself is
    refused (it would expand forever). A key written twice in one mapping goes to `duplicates`
    (YAML forbids it; PyYAML would silently keep the last)."""
    lines.setdefault(location, node.start_mark.line + 1)  # a key's own line, if it has one
    seen.add(id(node))
    children: list[tuple[Location, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        first_lines: dict[str, int] = {}  # of this mapping's scalar keys
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.tag)
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key != "<<":  # `<<` merges: may repeat
                if key in first_lines:
                    duplicates.append(((*location, key), line, first_lines[key]))
                    continue
                first_lines[key] = line
            lines[(*location, key)] = line
            children.append(((*location, key), value_node))
    elif isinstance(node, yaml.SequenceNode):
        children = [((*location, index), item) for index, item in enumerate(node.value)]
    for child_location, child in children:
        if id(child) not in seen:
            _collect_lines(child, child_location, lines, seen, duplicates)


def _refuse_recursion(node: yaml.Node, path: str, open_nodes: set[int], done: set[int]) -> None:
    """ConfigError if some node contains itself through an alias (`a: &x [*x]`)."""
    if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        return
    open_nodes.add(id(node))
    children = (
        [value for _, value in node.value] if isinstance(node, yaml.MappingNode) else node.value
    )
    for child in children:
        if id(child) in open_nodes:
            line = child.start_mark.line + 1
            raise ConfigError([f"{path}:{line}: an alias refers to a node that contains it"])
        if id(child) not in done:
            _refuse_recursion(child, path, open_nodes, done)
    open_nodes.discard(id(node))
    done.add(id(node))


def _yaml_problem(broken: yaml.YAMLError, text: str, path: str) -> str:
    """One line, `file:line: not valid YAML: <problem>`, for `rules check` to print."""
    if isinstance(broken, yaml.MarkedYAMLError):
        mark = broken.problem_mark or broken.context_mark
        problem = broken.problem or broken.context or "unreadable"
        last = max(1, len(text.rstrip().splitlines()))  # a mark at the very end is on no line
        if isinstance(broken, yaml.composer.ComposerError) and broken.context:
            problem = f"{broken.context}, {problem}"  # one config is one YAML document
        elif _at_end(broken, text) and broken.context and broken.context_mark is not None:
            # Ran off the end (an unclosed quote or bracket): where it was opened says more.
            mark = broken.context_mark
            problem = f"{problem} {broken.context} begun on line {min(mark.line + 1, last)}"
        line: int | None = min(mark.line + 1, last) if mark is not None else None
    elif isinstance(broken, yaml.reader.ReaderError):
        problem = f"unacceptable character #x{broken.character:04x}: {broken.reason}"
        line = text.count("\n", 0, broken.position) + 1
    else:
        problem, line = str(broken).splitlines()[0], None
    where = f"{path}:{line}" if line is not None else path
    return f"{where}: not valid YAML: {' '.join(problem.split())}"


def _at_end(broken: yaml.MarkedYAMLError, text: str) -> bool:
    """Whether the problem was found at the end of the text (a YAML line past the last one)."""
    mark = broken.problem_mark
    return mark is not None and mark.index >= len(text.rstrip())


# libyaml reads a large config several times faster than PyYAML's own parser. Both compose
# the same YAML 1.1 documents; what libyaml refuses is read again by PyYAML, whose messages
# name the problem more exactly (the character found, not only where).
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _compose(loader_class: Any, text: str, path: str) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)  # PyYAML's checks every character at once: may raise
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _refuse_recursion(node, path, set(), set())
        _label_values_as_written(node, set())
        return loader.construct_document(node), node
    finally:
        loader.dispose()


# Alertmanager's legacy label maps. Go's YAML decoder reads any scalar into their string
# values as it is written (`1.50` stays "1.50", `yes` "yes", `0x1F` "0x1F") and null as "",
# so a route pasted from Alertmanager matches the same alerts here.
_LEGACY_LABEL_MAPS = frozenset(
    f"{side}{key}" for side in ("", "source_", "target_") for key in ("match", "match_re")
)
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"


def _label_values_as_written(node: yaml.Node, done: set[int]) -> None:
    """Make every scalar value of a legacy label map a string, as Alertmanager reads it (a
    new node: an alias to the same scalar elsewhere keeps its type)."""
    if id(node) in done:
        return
    done.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _label_values_as_written(item, done)
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value in _LEGACY_LABEL_MAPS
            and isinstance(value, yaml.MappingNode)
        ):
            # A null is "" in a `match` map; in a `match_re` map Alertmanager refuses it
            # ("invalid regexp value"), so it stays null for validation to refuse.
            regex = key.value.endswith("match_re")
            value.value = [
                (name, item if regex and item.tag == _NULL_TAG else _as_text(item))
                for name, item in value.value
            ]
        _label_values_as_written(value, done)


def _as_text(node: yaml.Node) -> yaml.Node:
    if not isinstance(node, yaml.ScalarNode) or node.tag == _STR_TAG:
        return node
    text = "" if node.tag == _NULL_TAG else node.value
    return yaml.ScalarNode(_STR_TAG, text, node.start_mark, node.end_mark)


def _parse(text: str, path: str) -> tuple[Any, yaml.Node | None]:
    """The document and its node graph, composed once; aliases that recurse are refused."""
    try:
        if _FAST_LOADER is not None:
            try:
                return _compose(_FAST_LOADER, text, path)
            except (yaml.YAMLError, UnicodeError):
                pass  # said again below, in PyYAML's words
        return _compose(yaml.SafeLoader, text, path)
    except yaml.YAMLError as broken:
        raise ConfigError([_yaml_problem(broken, text, path)]) from None
    except RecursionError:
        raise ConfigError([f"{path}: not valid YAML: nested too deeply"]) from None


def parse_config_text(text: str, path: str) -> ConfigSource:
    """The config document in `text`, its `${NAME}` references read from the environment
    (`env_references.py`); ConfigError naming every problem's line."""
    data, node = _parse(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: (top level): the config must be a mapping"])
    lines: dict[Location, int] = {}
    duplicates: list[tuple[Location, int, int]] = []
    if node is not None:
        _collect_lines(node, (), lines, set(), duplicates)
    if duplicates:
        raise ConfigError(
            [
                f"{path}:{line}: {'.'.join(map(str, where))}: duplicate key"
                f" (first at line {first}); write each key once"
                for where, line, first in duplicates
            ]
        )
    source = ConfigSource(path=path, data=data, lines=lines)
    problems: list[str] = []
    expanded = expand_references(data, lambda where, why: problems.append(source.error(where, why)))
    if problems:
        raise ConfigError(problems)
    return ConfigSource(path=path, data=expanded, lines=lines)


def read_config_text(path: Path) -> str:
    """The text of the config file at `path`; ConfigError if it cannot be read as UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as missing:
        raise ConfigError([f"{path}: cannot read: {missing.strerror}"]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as undecodable:
        line = raw.count(b"\n", 0, undecodable.start) + 1
        byte = raw[undecodable.start]
        raise ConfigError(
            [f"{path}:{line}: not UTF-8 text (byte 0x{byte:02x}); save the config as UTF-8"]
        ) from None


def load_config_file(path: Path) -> ConfigSource:
    return parse_config_text(read_config_text(path), str(path))


def _shown(part: str | int) -> str:
    """A path part as written, quoted when it holds what a reader would not see (a key made
    of spaces or control characters)."""
    text = str(part)
    return text if text.isprintable() and text.strip() == text and text else repr(text)
