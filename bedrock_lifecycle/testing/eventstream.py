"""Encoder for ``application/vnd.amazon.eventstream`` messages (botocore ships only a decoder).

Wire format of one message::

    total length u32 | headers length u32 | CRC32(prelude) u32 | headers | payload | CRC32(all before) u32

Each header is ``name length u8 | name | type u8 | value``; strings (type 7) and byte arrays
(type 6) carry a u16 length. All integers are big-endian.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import struct
import uuid
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

HeaderValue = str | bytes | bool | int | _dt.datetime | uuid.UUID

# Limits enforced by botocore's decoder (botocore/eventstream.py).
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
_MAX_VALUE_LENGTH = 0xFFFF  # u16 length prefix
_PRELUDE = struct.Struct(">II")
_U32 = struct.Struct(">I")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _encode_header(name: str, value: HeaderValue) -> bytes:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) <= 255:
        raise ValueError(f"event stream header name must be 1-255 bytes, got {len(raw_name)}")
    head = bytes((len(raw_name),)) + raw_name
    # bool first: it is an int subclass.
    if isinstance(value, bool):
        return head + (b"\x00" if value else b"\x01")
    if isinstance(value, int):
        if _INT32_MIN <= value <= _INT32_MAX:
            return head + b"\x04" + struct.pack(">i", value)
        if _INT64_MIN <= value <= _INT64_MAX:
            return head + b"\x05" + struct.pack(">q", value)
        raise ValueError(f"header {name!r}: integer {value} does not fit in 64 bits")
    if isinstance(value, str):
        data, type_byte = value.encode("utf-8"), b"\x07"
    elif isinstance(value, bytes):
        data, type_byte = value, b"\x06"
    elif isinstance(value, _dt.datetime):
        millis = int(value.timestamp() * 1000)
        return head + b"\x08" + struct.pack(">q", millis)
    elif isinstance(value, uuid.UUID):
        return head + b"\x09" + value.bytes
    else:
        raise TypeError(f"header {name!r}: unsupported value type {type(value).__name__}")
    if len(data) > _MAX_VALUE_LENGTH:
        raise ValueError(f"header {name!r}: value is {len(data)} bytes, the limit is 65535")
    return head + type_byte + struct.pack(">H", len(data)) + data


def encode_headers(headers: Mapping[str, HeaderValue] | Iterable[tuple[str, HeaderValue]]) -> bytes:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return b"".join(_encode_header(name, value) for name, value in items)


def encode_message(
    headers: Mapping[str, HeaderValue] | Iterable[tuple[str, HeaderValue]], payload: bytes = b""
) -> bytes:
    """One complete event stream message."""
    return _frame(encode_headers(headers), payload)


def _frame(raw_headers: bytes, payload: bytes) -> bytes:
    if len(raw_headers) > MAX_HEADERS_LENGTH:
        raise ValueError(f"headers are {len(raw_headers)} bytes, the limit is {MAX_HEADERS_LENGTH}")
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload is {len(payload)} bytes, the limit is {MAX_PAYLOAD_LENGTH}")
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = _PRELUDE.pack(total, len(raw_headers))
    prelude += _U32.pack(zlib.crc32(prelude))
    body = prelude + raw_headers + payload
    return body + _U32.pack(zlib.crc32(body))


# The few header sets a server sends over and over: encode each once.
@functools.lru_cache(maxsize=256)
def _event_headers(event_type: str, content_type: str) -> bytes:
    return encode_headers(
        ((":event-type", event_type), (":content-type", content_type), (":message-type", "event"))
    )


@functools.lru_cache(maxsize=256)
def _exception_headers(exception_type: str) -> bytes:
    return encode_headers(
        (
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        )
    )


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def event(event_type: str, payload: Any, *, content_type: str = "application/json") -> bytes:
    """An ``event`` message; ``payload`` is JSON-encoded unless it is already bytes."""
    data = payload if isinstance(payload, bytes) else _json(payload)
    return _frame(_event_headers(event_type, content_type), data)


def exception(exception_type: str, message: str, **fields: Any) -> bytes:
    """An ``exception`` message as Bedrock sends mid-stream (``throttlingException`` …)."""
    return _frame(_exception_headers(exception_type), _json({"message": message, **fields}))
