"""JSON rendering where money (Decimal) is written as an exact JSON number, never via float.

``dumps`` renders with orjson (each Decimal as a raw number fragment of its exact digits) and
falls back to the pure-Python encoder below for what orjson cannot write (ints past 64 bits, a
time with a zone) or to raise its precise error; both write the same JSON (ASCII, non-ASCII
characters as ``\\u`` escapes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("non-finite decimal in JSON output")
    if value.is_zero():
        value = abs(value)  # no "-0.00" in money
    return format(value, "f")


def _encode(obj: Any, out: list[str]) -> None:
    if isinstance(obj, BaseModel):
        _encode(obj.model_dump(mode="python"), out)
    elif isinstance(obj, Mapping):
        out.append("{")
        for i, (key, value) in enumerate(obj.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(key)))
            out.append(":")
            _encode(value, out)
        out.append("}")
    elif isinstance(obj, list | tuple | set | frozenset):
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _encode(value, out)
        out.append("]")
    elif isinstance(obj, bool) or obj is None or isinstance(obj, int | str):
        out.append(json.dumps(obj))
    elif isinstance(obj, Decimal):
        out.append(_number(obj))
    elif isinstance(obj, float):
        # Only non-money measurements (ratios, scores) may be floats.
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise ValueError("non-finite float in JSON output")
        out.append(json.dumps(obj))
    elif isinstance(obj, dt.datetime | dt.date | dt.time):
        out.append(json.dumps(obj.isoformat()))
    elif isinstance(obj, uuid.UUID):
        out.append(json.dumps(str(obj)))
    elif isinstance(obj, enum.Enum):
        _encode(obj.value, out)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        _encode(dataclasses.asdict(obj), out)
    else:
        raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def _encoded(obj: Any) -> bytes:
    out: list[str] = []
    _encode(obj, out)
    return "".join(out).encode()


def _finite_floats(obj: Any) -> None:
    """Refuse a NaN or infinite float anywhere in ``obj`` (orjson would write ``null``)."""
    kind = type(obj)
    if kind is dict:
        for value in obj.values():
            _finite_floats(value)
    elif kind is list or kind is tuple:
        for value in obj:
            _finite_floats(value)
    elif kind is float:
        if not math.isfinite(obj):
            raise ValueError("non-finite float in JSON output")
    elif kind in (str, int, bool, Decimal) or obj is None:
        return
    elif isinstance(obj, Mapping):
        _finite_floats(dict(obj))
    elif isinstance(obj, list | tuple | set | frozenset):
        _finite_floats(list(obj))
    elif isinstance(obj, float):
        _finite_floats(float(obj))
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        _finite_floats(vars(obj))


def _default(obj: Any) -> Any:
    if type(obj) is Decimal:
        return orjson.Fragment(_number(obj))
    if isinstance(obj, BaseModel):
        dumped = obj.model_dump(mode="python")
        _finite_floats(dumped)
        return dumped
    if isinstance(obj, set | frozenset):
        return list(obj)
    raise TypeError  # orjson cannot either: the pure encoder raises the precise error


def _escape(char: re.Match[str]) -> str:
    code = ord(char.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


NON_ASCII = re.compile(r"[^\x00-\x7f]")


def dumps(obj: Any) -> bytes:
    """Serialise ``obj`` to UTF-8 JSON; Decimals become numbers with their exact digits."""
    _finite_floats(obj)
    try:
        out = orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return _encoded(obj)
    if out.isascii():
        return out
    # Only string contents can hold non-ASCII characters: escape them as json.dumps does.
    return NON_ASCII.sub(_escape, out.decode()).encode()
