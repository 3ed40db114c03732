"""Hypothesis against the config loader: mutated copies of `services/cli/demo.yaml` and
`deploy/tocsin.yaml`, as YAML structures (values swapped for hostile ones, keys deleted, items
duplicated, nodes wrapped) and as bytes (YAML syntax noise, stray bytes). Each either loads, and
`tocsin up` can be assembled from it, or raises `ConfigError` whose every problem starts with
`file:line:` or `file:`; never another exception."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.hostile.hostile_configs import SEEDS, assert_loads_or_names_the_file

EXAMPLES = 60  # per property; bounded so the folder stays under ~90 s
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time; failures as found
)


# --- structural mutations of real configs -----------------------------------------------------

HOSTILE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 10**30, math.nan, math.inf, -math.inf, 1e308, -0.0]),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "0s",
            "-5m",
            "1h30m",
            "99999999999999999999d",
            "9999999999w",
            "5 minutes",
            "(",
            'a=~"("',
            "a=~(",
            "team=",
            "=x",
            "Not/AZone",
            "UTC",
            "25:00",
            "2026-13-45T99:00",
            "schedule:nobody",
            "channel:nowhere",
            "user:",
            "console",
            "webhook",
            "http://",
            "🔥",
            "\x00",
            "a" * 5000,
        ]
    ),
)
HOSTILE_VALUES = st.recursive(
    HOSTILE_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*here, index))


def _mutate(document: Any, path: tuple[Any, ...], operation: str, value: Any) -> Any:
    if not path:
        return value if operation == "replace" else document
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    match operation:
        case "replace":
            parent[last] = value
        case "delete":
            del parent[last]
        case "duplicate" if isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        case "wrap":
            parent[last] = [parent[last]]
        case _:
            parent[last] = {"nested": parent[last]}
    return document


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    document = yaml.safe_load(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(document))
        path = draw(st.sampled_from(paths))
        operation = draw(
            st.sampled_from(["replace", "replace", "delete", "duplicate", "wrap", "nest"])
        )
        document = _mutate(document, path, operation, draw(HOSTILE_VALUES))
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@FUZZ
@given(text=mutated_documents())
def test_a_mutated_config_loads_or_names_file_and_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text, encoding="utf-8")

    assert_loads_or_names_the_file(path)


# --- byte-level mutations: YAML syntax, encodings --------------------------------------------

YAML_NOISE = [
    b":",
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"&a ",
    b"*a",
    b"!!",
    b"|",
    b">",
    b"#",
    b"'",
    b'"',
    b"\t",
    b"\n",
    b"\n  ",
    b"%",
    b"@",
    b"`",
    b"? ",
    b"<<: *a",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\x00",
    b"\xef\xbb\xbf",
]


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    raw = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))].encode())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        match draw(st.sampled_from(["insert", "delete", "noise"])):
            case "insert":
                raw[at:at] = draw(st.binary(min_size=1, max_size=4))
            case "delete":
                raw[at : at + draw(st.integers(min_value=1, max_value=40))] = b""
            case _:
                raw[at:at] = draw(st.sampled_from(YAML_NOISE))
    return bytes(raw)


@FUZZ
@given(raw=mutated_bytes())
def test_config_bytes_mangled_load_or_name_file_and_line(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_bytes(raw)

    assert_loads_or_names_the_file(path)
