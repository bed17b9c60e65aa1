"""JSON rendering where money (Decimal) is written as an exact JSON number, never via float."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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


def dumps(obj: Any) -> bytes:
    """Serialise ``obj`` to UTF-8 JSON; Decimals become numbers with their exact digits."""
    out: list[str] = []
    _encode(obj, out)
    return "".join(out).encode()
