"""Hostile configs found by hand or by the fuzzers, in-process and through the CLI:
`load_tocsin_config` raises `ConfigError` naming file and line (or loads, and `tocsin up` can be
assembled from it); `tocsin rules check --config BAD` prints the problems and exits 1, with no
traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.hostile_configs import (
    EXPECT_TO_LOAD,
    HOSTILE,
    ROOT,
    assemble,
    assert_each_names_the_file,
    problems_of,
)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_config_loads_or_names_file_and_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_bytes(HOSTILE[name])

    problems = problems_of(path)

    if name in EXPECT_TO_LOAD:
        assert problems is None
        assemble(path)
    else:
        assert problems is not None, f"{name}: loaded, but `tocsin up` would meet it"
        assert_each_names_the_file(path, problems)


def test_a_yaml_syntax_error_is_one_line_naming_this_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text("integrations:\n  - name: a\n    type: b: c\n", encoding="utf-8")

    problems = problems_of(path)

    assert problems is not None
    assert_each_names_the_file(path, problems)
    for problem in problems:  # `rules check` output is read line by line: one problem a line
        assert "\n" not in problem, problem
        assert "<unicode string>" not in problem, problem
    assert problems[0].startswith(f"{path}:3: ")


def test_a_missing_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    problems = problems_of(path)

    assert problems is not None
    assert_each_names_the_file(path, problems)


# --- the CLI: `tocsin rules check --config BAD` ----------------------------------------------

CLI_CASES = ["not UTF-8", "recursive alias", "duration past timedelta", "unterminated quote"]


def test_rules_check_prints_the_problems_and_exits_1_without_a_traceback(tmp_path: Path) -> None:
    runs = {}
    for name in CLI_CASES:  # all at once: each pays the interpreter's start-up
        path = tmp_path / (re.sub(r"\W+", "-", name) + ".yaml")
        path.write_bytes(HOSTILE[name])
        command = [
            sys.executable,
            "-m",
            "services.cli.main",
            "rules",
            "check",
            "--config",
            str(path),
        ]
        runs[name] = (
            path,
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE),
        )

    failures = []
    for name, (path, process) in runs.items():
        out, err = process.communicate(timeout=60)
        text = (out + err).decode("utf-8", "replace")
        if process.returncode != 1 or "Traceback" in text:
            failures.append(f"{name}: exit {process.returncode}\n{text[-1500:]}")
        elif not err.decode("utf-8", "replace").startswith(f"{path}:"):
            failures.append(f"{name}: the problems do not start by naming the file:\n{text}")

    assert not failures, "\n\n".join(failures)
