"""Webhook signatures: HMAC-SHA256 over "<timestamp>." + body, with replay protection."""

from __future__ import annotations

import hashlib
import hmac

from services.router.channels.signing import (
    NOTIFICATION_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signed_headers,
    verify,
)

SECRET = b"whsec_test"
TIMESTAMP = 1714572180
BODY = b'{"hello":"world"}'


def test_signature_is_hex_hmac_sha256_of_timestamp_dot_body() -> None:
    by_hand = hmac.new(SECRET, b"1714572180." + BODY, hashlib.sha256).hexdigest()

    assert sign(SECRET, TIMESTAMP, BODY) == f"v1={by_hand}"
    assert by_hand == "8b166ec505a48cbe735554a306fb16f5a121f1c7efd8c4867f4728ef3c7ff639"


def test_verify_accepts_a_fresh_untampered_request() -> None:
    header = sign(SECRET, TIMESTAMP, BODY)

    assert verify(SECRET, TIMESTAMP, BODY, header, now=TIMESTAMP + 299)


def test_verify_rejects_a_tampered_body() -> None:
    header = sign(SECRET, TIMESTAMP, BODY)

    assert not verify(SECRET, TIMESTAMP, b'{"hello":"mallory"}', header, now=TIMESTAMP)


def test_verify_rejects_a_wrong_secret() -> None:
    header = sign(b"another secret", TIMESTAMP, BODY)

    assert not verify(SECRET, TIMESTAMP, BODY, header, now=TIMESTAMP)


def test_verify_rejects_a_stale_timestamp_even_with_a_valid_signature() -> None:
    header = sign(SECRET, TIMESTAMP, BODY)

    assert not verify(SECRET, TIMESTAMP, BODY, header, now=TIMESTAMP + 301)


def test_verify_rejects_a_timestamp_from_the_future() -> None:
    header = sign(SECRET, TIMESTAMP, BODY)

    assert not verify(SECRET, TIMESTAMP, BODY, header, now=TIMESTAMP - 301)


def test_verify_rejects_a_signature_moved_to_another_timestamp() -> None:
    header = sign(SECRET, TIMESTAMP, BODY)

    assert not verify(SECRET, TIMESTAMP + 1, BODY, header, now=TIMESTAMP)


def test_verify_accepts_any_listed_signature_during_secret_rotation() -> None:
    header = f"{sign(b'old secret', TIMESTAMP, BODY)}, {sign(SECRET, TIMESTAMP, BODY)}"

    assert verify(SECRET, TIMESTAMP, BODY, header, now=TIMESTAMP)


def test_headers_carry_timestamp_idempotency_key_and_signature() -> None:
    headers = signed_headers(SECRET, "inc-42/step-1", TIMESTAMP, BODY)

    assert headers == {
        TIMESTAMP_HEADER: "1714572180",
        NOTIFICATION_ID_HEADER: "inc-42/step-1",
        SIGNATURE_HEADER: sign(SECRET, TIMESTAMP, BODY),
    }


def test_headers_without_secret_omit_the_signature() -> None:
    headers = signed_headers(None, "inc-42/step-1", TIMESTAMP, BODY)

    assert SIGNATURE_HEADER not in headers
