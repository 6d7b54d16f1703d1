"""The small part of CBOR (RFC 8949) that Smithy RPC v2 services speak, for the local server.

botocore talks ``smithy-rpc-v2-cbor`` to AWS Health and CloudWatch: requests and answers are
CBOR maps of strings, numbers, booleans, lists, maps and timestamps (tag 1, epoch seconds).
Decoding accepts everything botocore's serializer writes (indefinite lengths included);
encoding writes definite lengths only.
"""

from __future__ import annotations

import datetime as _dt
import struct
from typing import Any

__all__ = ["CBORError", "decode", "encode"]


class CBORError(ValueError):
    """Malformed or unsupported CBOR."""


def encode(value: Any) -> bytes:
    out = bytearray()
    _encode(out, value)
    return bytes(out)


def _head(out: bytearray, major: int, n: int) -> None:
    if n < 24:
        out.append(major << 5 | n)
    elif n < 0x100:
        out += bytes((major << 5 | 24, n))
    elif n < 0x10000:
        out.append(major << 5 | 25)
        out += struct.pack(">H", n)
    elif n < 0x100000000:
        out.append(major << 5 | 26)
        out += struct.pack(">I", n)
    else:
        out.append(major << 5 | 27)
        out += struct.pack(">Q", n)


def _encode(out: bytearray, value: Any) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True or value is False:
        out.append(0xF5 if value else 0xF4)
    elif isinstance(value, int):
        if value >= 0:
            _head(out, 0, value)
        else:
            _head(out, 1, -1 - value)
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    elif isinstance(value, _dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        _head(out, 6, 1)
        _encode(out, when.timestamp())
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _head(out, 3, len(raw))
        out += raw
    elif isinstance(value, bytes | bytearray):
        _head(out, 2, len(value))
        out += value
    elif isinstance(value, list | tuple):
        _head(out, 4, len(value))
        for item in value:
            _encode(out, item)
    elif isinstance(value, dict):
        _head(out, 5, len(value))
        for key, item in value.items():
            _encode(out, str(key))
            _encode(out, item)
    else:
        raise CBORError(f"cannot encode {type(value).__name__}")


def decode(data: bytes) -> Any:
    if not data:
        return {}
    value, end = _decode(data, 0)
    if end != len(data):
        raise CBORError(f"{len(data) - end} bytes after the first data item")
    return value


_BREAK: Any = object()


def _length(data: bytes, pos: int, info: int) -> tuple[int | None, int]:
    if info < 24:
        return info, pos
    size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if size is None:
        if info == 31:
            return None, pos  # indefinite length
        raise CBORError(f"reserved additional information {info}")
    if pos + size > len(data):
        raise CBORError("truncated")
    return int.from_bytes(data[pos : pos + size], "big"), pos + size


def _decode(data: bytes, pos: int) -> tuple[Any, int]:
    if pos >= len(data):
        raise CBORError("truncated")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if major == 7:
        return _simple(data, pos, info)
    n, pos = _length(data, pos, info)
    if major == 0:
        return _definite(n), pos
    if major == 1:
        return -1 - _definite(n), pos
    if major in (2, 3):
        return _string(data, pos, n, major)
    if major == 4:
        items: list[Any] = []
        while n is None or len(items) < n:
            item, pos = _decode(data, pos)
            if item is _BREAK:
                break
            items.append(item)
        return items, pos
    if major == 5:
        mapping: dict[Any, Any] = {}
        while n is None or len(mapping) < n:
            key, pos = _decode(data, pos)
            if key is _BREAK:
                break
            mapping[key], pos = _decode(data, pos)
        return mapping, pos
    value, pos = _decode(data, pos)  # major 6: a tag; only 1 (epoch time) is used
    if _definite(n) == 1 and isinstance(value, int | float):
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc), pos
    return value, pos


def _definite(n: int | None) -> int:
    if n is None:
        raise CBORError("indefinite length on a number or tag")
    return n


def _string(data: bytes, pos: int, n: int | None, major: int) -> tuple[Any, int]:
    if n is None:  # chunks until a break
        parts: list[Any] = []
        while True:
            part, pos = _decode(data, pos)
            if part is _BREAK:
                break
            parts.append(part)
        return ("" if major == 3 else b"").join(parts), pos
    if pos + n > len(data):
        raise CBORError("truncated")
    raw = data[pos : pos + n]
    return (raw.decode("utf-8") if major == 3 else bytes(raw)), pos + n


def _simple(data: bytes, pos: int, info: int) -> tuple[Any, int]:
    if info == 20:
        return False, pos
    if info == 21:
        return True, pos
    if info in (22, 23):
        return None, pos
    if info == 31:
        return _BREAK, pos
    formats = {25: (">e", 2), 26: (">f", 4), 27: (">d", 8)}
    if info not in formats:
        raise CBORError(f"unsupported simple value {info}")
    fmt, size = formats[info]
    if pos + size > len(data):
        raise CBORError("truncated")
    return struct.unpack(fmt, data[pos : pos + size])[0], pos + size
