"""At-rest cipher keys: their format and their ids (no cipher code: the gateway loads this)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

KEY_ID_BYTES = 8
KEY_SIZES = (16, 24, 32)


class CipherKeyError(ValueError):
    """A cipher key that is not base64 of 16, 24 or 32 bytes, or a state no known key opens."""


def decoded(key: str) -> bytes:
    """A base64 cipher key's bytes, checked for an AES size."""
    try:
        raw = base64.b64decode(key.strip().encode(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CipherKeyError("a cipher key must be base64") from exc
    if len(raw) not in KEY_SIZES:
        raise CipherKeyError(f"a cipher key must be 16, 24 or 32 bytes, not {len(raw)}")
    return raw


def key_id(key: str) -> bytes:
    """The stored id of a base64 cipher key (never the key itself)."""
    return hashlib.sha256(decoded(key)).digest()[:KEY_ID_BYTES]


def new_key() -> str:
    """A fresh random 256-bit key, base64 encoded."""
    return base64.b64encode(os.urandom(32)).decode()
