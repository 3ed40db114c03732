"""The state format of snapshots follows the shape of the state's classes, not the logic
around them: an upgrade that changes decisions keeps the snapshots, one that changes a field
of a state class (or of a class a field holds) does not."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import threading
from pathlib import Path

from services.correlator.processor import CorrelatorProcessor
from services.router.dispatcher import DispatcherProcessor
from services.router.processor import RouterProcessor
from services.router.projection.snapshots import read_model_format
from shared.runtime.code_version import code_fingerprint
from shared.runtime.state_shape import shape_fingerprint

BASE = """
from __future__ import annotations
from dataclasses import dataclass, field

@dataclass
class Alert:
    name: str
    {alert_extra}

@dataclass
class State:
    alerts: dict[str, Alert] = field(default_factory=dict)

def decide(state: State, name: str) -> list[str]:
    {logic}
"""


def _format_of(tmp_path: Path, **parts: str) -> str:
    """Loads the module as `shapemod` (each version from its own file) and fingerprints it."""
    source = BASE.format(
        alert_extra=parts.get("alert_extra", "count: int = 0"),
        logic=parts.get("logic", "return [name]"),
    )
    path = tmp_path / f"v{len(list(tmp_path.iterdir()))}" / "shapemod.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location("shapemod", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["shapemod"] = module
    try:
        spec.loader.exec_module(module)
        return shape_fingerprint([module.State], [], packages=("shapemod",))
    finally:
        del sys.modules["shapemod"]


def test_a_change_of_decision_logic_keeps_the_state_format(tmp_path: Path) -> None:
    before = _format_of(tmp_path)
    after = _format_of(tmp_path, logic="return [name, name]")

    assert before == after


def test_a_changed_field_of_a_class_the_state_holds_is_another_format(tmp_path: Path) -> None:
    before = _format_of(tmp_path)
    after = _format_of(tmp_path, alert_extra="count: float = 0.0")

    assert before != after


def test_each_stateful_processor_has_its_own_format_from_its_state_classes() -> None:
    # The format depends on the class only, so an instance without its services will do.
    formats = {
        kind.snapshot_format(object.__new__(kind))
        for kind in (CorrelatorProcessor, RouterProcessor, DispatcherProcessor)
    }

    assert len(formats) == 3
    assert code_fingerprint() not in formats  # their shapes resolve: no fallback to the code


def test_formats_worked_out_in_several_threads_at_once_all_succeed_and_agree() -> None:
    """The read model works its format out in a thread while the runners work out theirs on
    the loop; Python 3.11's parser, which reading the sources uses, is not safe for that."""
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave as often as they can
    results: list[str] = []
    errors: list[BaseException] = []

    def work_out_formats() -> None:
        for _ in range(5):
            try:
                results.append(read_model_format.__wrapped__())  # past its cache: work it out
            except BaseException as error:  # every failure is the finding
                errors.append(error)

    try:
        threads = [threading.Thread(target=work_out_formats) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    assert errors == []
    assert len(results) == 20 and len(set(results)) == 1
