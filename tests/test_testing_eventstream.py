"""The event-stream encoder must round-trip through botocore's own decoder."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.testing import eventstream as es

names = st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode()) <= 255)
values: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.uuids(),
    st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.just(dt.timezone.utc),
    ),
)


def _decode(data: bytes) -> list[Any]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def _expected(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, dt.datetime):
        return int(value.timestamp() * 1000)
    return value


@settings(max_examples=150, deadline=None)
@given(headers=st.dictionaries(names, values, max_size=8), payload=st.binary(max_size=2048))
def test_round_trip_through_botocore(headers: dict[str, Any], payload: bytes) -> None:
    (message,) = _decode(es.encode_message(headers, payload))
    assert message.payload == payload
    assert message.headers == {k: _expected(v) for k, v in headers.items()}


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["chunk", "messageStart"]), st.text(max_size=50)), max_size=6
    )
)
def test_concatenated_messages_decode_in_order(items: list[tuple[str, str]]) -> None:
    data = b"".join(es.event(kind, {"text": text}) for kind, text in items)
    decoded = _decode(data)
    assert [(m.headers[":event-type"], json.loads(m.payload)["text"]) for m in decoded] == items
    assert all(m.headers[":message-type"] == "event" for m in decoded)


def test_exception_message_headers() -> None:
    (message,) = _decode(es.exception("throttlingException", "slow down", originalStatusCode=429))
    assert message.headers == {
        ":exception-type": "throttlingException",
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    assert json.loads(message.payload) == {"message": "slow down", "originalStatusCode": 429}


def test_corruption_is_detected_by_the_decoder() -> None:
    data = bytearray(es.event("chunk", {"bytes": "aGk="}))
    data[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        _decode(bytes(data))


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"x" * 256: "v"}, ValueError),
        ({"": "v"}, ValueError),
        ({"k": "v" * 70_000}, ValueError),
        ({"k": 2**64}, ValueError),
        ({"k": 1.5}, TypeError),
    ],
)
def test_invalid_headers_are_refused(headers: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        es.encode_message(headers)
