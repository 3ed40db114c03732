"""`TOCSIN_INCIDENT_HISTORY` / `--incident-history`: a duration like the log's retention,
90 days unless set, 0 for forever; a value that is no duration stops the command at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.cli.main import main
from shared.config.settings import RuntimeSettings


@pytest.mark.parametrize(
    ("value", "history"),
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("0", timedelta(0))],
)
def test_the_history_is_read_from_the_environment_as_a_duration(
    monkeypatch: pytest.MonkeyPatch, value: str, history: timedelta
) -> None:
    monkeypatch.setenv("TOCSIN_INCIDENT_HISTORY", value)
    assert RuntimeSettings().incident_history == history


def test_the_history_is_90_days_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOCSIN_INCIDENT_HISTORY", raising=False)
    assert RuntimeSettings().incident_history == timedelta(days=90)


@pytest.mark.parametrize(
    "command",
    [
        ["up"],
        ["router", "--config", "tocsin.yaml", "--kafka", "localhost:9092"],
    ],
)
def test_an_option_that_is_no_duration_is_refused_naming_it(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--incident-history", "a while"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("invalid option: --incident-history: ")
