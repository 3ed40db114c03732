"""One-click links: signed over incident, action, expiry and recipient; expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from services.router.links import LinkCheck, action_link, check_link

SECRET = b"k" * 32
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def parts(link: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(link)
    return split.path, {k: v[0] for k, v in parse_qs(split.query).items()}


def test_link_names_incident_action_and_expiry() -> None:
    link = action_link("https://tocsin.example", SECRET, "INC-1", "acknowledge", T0)
    path, query = parts(link)
    assert path == "/api/v1/incidents/INC-1/acknowledge/link"
    assert query["e"] == str(int((T0 + timedelta(hours=24)).timestamp()))
    assert check_link(SECRET, "INC-1", "acknowledge", query["e"], query["s"], T0) is LinkCheck.VALID


def test_link_used_for_another_action_or_incident_is_forged() -> None:
    _, query = parts(action_link("http://h", SECRET, "INC-1", "acknowledge", T0))
    e, s = query["e"], query["s"]
    assert check_link(SECRET, "INC-1", "resolve", e, s, T0) is LinkCheck.FORGED
    assert check_link(SECRET, "INC-2", "acknowledge", e, s, T0) is LinkCheck.FORGED
    assert check_link(b"other", "INC-1", "acknowledge", e, s, T0) is LinkCheck.FORGED


def test_extending_the_expiry_breaks_the_signature() -> None:
    _, query = parts(action_link("http://h", SECRET, "INC-1", "resolve", T0))
    later = str(int(query["e"]) + 3600)
    assert check_link(SECRET, "INC-1", "resolve", later, query["s"], T0) is LinkCheck.FORGED
    assert check_link(SECRET, "INC-1", "resolve", "soon", query["s"], T0) is LinkCheck.FORGED
    assert check_link(SECRET, "INC-1", "resolve", query["e"], "é", T0) is LinkCheck.FORGED


def test_an_expiry_in_other_digits_is_forged_not_an_error() -> None:
    _, query = parts(action_link("http://h", SECRET, "INC-1", "resolve", T0))
    e, s = query["e"], query["s"]
    arabic_indic = e.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    for spelled in ("²", arabic_indic, "0" + e, "", "1" * 13):
        assert check_link(SECRET, "INC-1", "resolve", spelled, s, T0) is LinkCheck.FORGED
    assert check_link(SECRET, "INC-1", "resolve", e, s, T0) is LinkCheck.VALID


def test_link_expires_after_its_lifetime() -> None:
    link = action_link("http://h", SECRET, "INC-1", "resolve", T0, lifetime=timedelta(hours=1))
    _, query = parts(link)
    e, s = query["e"], query["s"]
    assert check_link(SECRET, "INC-1", "resolve", e, s, T0 + timedelta(hours=1)) is LinkCheck.VALID
    expired = T0 + timedelta(hours=1, seconds=1)
    assert check_link(SECRET, "INC-1", "resolve", e, s, expired) is LinkCheck.EXPIRED


def test_recipient_is_part_of_the_signature() -> None:
    link = action_link("http://h", SECRET, "INC-1", "acknowledge", T0, recipient="alice")
    _, query = parts(link)
    e, s = query["e"], query["s"]
    assert query["r"] == "alice"
    assert check_link(SECRET, "INC-1", "acknowledge", e, s, T0, "alice") is LinkCheck.VALID
    assert check_link(SECRET, "INC-1", "acknowledge", e, s, T0, "mallory") is LinkCheck.FORGED
