"""Configs the hostile tests start from (the demo's and the deploy example's) and configs found
hostile by hand or by the fuzzers, with the checks they share: a config loads and `tocsin up`
can be assembled from it, or every problem names the file (and line)."""

from __future__ import annotations

import re
from pathlib import Path

from services.cli.assembly import Assembly
from services.cli.config_bundle import load_tocsin_config
from services.cli.wiring import add_correlator, add_ingest, add_router
from shared.config.settings import RuntimeSettings
from shared.config.yaml_source import ConfigError
from shared.log.embedded import EmbeddedLog

ROOT = Path(__file__).resolve().parents[2]
SEEDS = {
    "demo": (ROOT / "services/cli/demo.yaml").read_text(encoding="utf-8"),
    "deploy": (ROOT / "deploy/tocsin.yaml").read_text(encoding="utf-8"),
}


def problems_of(path: Path) -> list[str] | None:
    """None if the config at `path` loads; else its problems. Anything else propagates."""
    try:
        load_tocsin_config(path)
    except ConfigError as invalid:
        return invalid.problems
    return None


def assert_each_names_the_file(path: Path, problems: list[str]) -> None:
    where = re.compile(rf"{re.escape(str(path))}(:\d+)?: \S")
    assert problems, "a ConfigError without problems"
    for problem in problems:
        assert where.match(problem), f"does not start with {path}:line: or {path}: -> {problem!r}"


def assert_loads_or_names_the_file(path: Path) -> None:
    problems = problems_of(path)
    if problems is None:
        assemble(path)
    else:
        assert_each_names_the_file(path, problems)


def assemble(path: Path) -> None:
    """What `tocsin up` builds from a loaded config, short of starting it: must not raise."""
    config = load_tocsin_config(path)
    settings = RuntimeSettings(data_dir=path.parent / "data", link_secret="s" * 32, port=8080)
    assembly = Assembly(EmbeddedLog(path.parent / "never-opened.sqlite"), partitions=4)
    add_ingest(assembly, config, settings)
    add_correlator(assembly, config)
    add_router(assembly, config, settings)


DEMO = SEEDS["demo"]
HOSTILE: dict[str, bytes] = {
    "not UTF-8": DEMO.replace("demo-token\n", "demo-\xff-token\n").encode("latin-1"),
    "UTF-16": DEMO.encode("utf-16"),
    "recursive alias": b"integrations: &loop [*loop]\n",
    "recursive alias elsewhere": DEMO.encode() + b"\nextras: &again {again: *again}\n",
    "duration past timedelta": DEMO.replace(
        "resolve_timeout: 5m", "resolve_timeout: 99999999999999999999d"
    ).encode(),
    "grace past timedelta": DEMO.replace(
        "resolve_grace: 5m", "resolve_grace: 9999999999w"
    ).encode(),
    "step delay past timedelta": DEMO.replace("delay: 5m", "delay: 99999999999999999999d").encode(),
    "layer rule with a broken regex": (
        b"integrations:\n"
        b"  - name: a\n"
        b"    type: canonical\n"
        b"    token: t\n"
        b"    layer_rules: [{when: 'metric=~\"(\"', layer: business}]\n"
    ),
    "layer rule that is no condition": (
        b"integrations:\n"
        b"  - {name: a, type: canonical, token: t, layer_rules: [{when: '???', layer: business}]}\n"
    ),
    "a list as the document": b"- integrations\n- route\n",
    "a scalar as the document": b"just words\n",
    "tabs for indentation": b"integrations:\n\t- name: a\n",
    "unterminated quote": b'route: {receiver: "oncall}\n',
    "python tag": b"route: !!python/object:os.system ls\n",
    "merge of a scalar": b"a: &x 1\nroute: {<<: *x}\n",
    "mapping as a key": b"? {a: 1}\n: 2\n",
    "null byte": b"integrations: []\x00\n",
    "empty": b"",
    "slack contact without a url": DEMO.replace(
        "{type: slack, url: /demo/inbox/alice-slack}", "{type: slack}"
    ).encode(),
    "webhook contact whose url is no url": DEMO.replace(
        "url: /demo/inbox/bob-webhook", 'url: "hooks example com"'
    ).encode(),
}
EXPECT_TO_LOAD = {"empty"}
