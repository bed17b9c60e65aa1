"""Signed, short-lived image URLs: an image widget cannot send a bearer token, so the owner
gets a URL whose signature proves the OCR service issued it for that receipt."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Final

PURPOSE: Final = b"mita.ocr.image.v1"


def signature(secret: str, receipt_id: uuid.UUID, expires: int) -> str:
    """The signature of (receipt, expiry) under the service secret (domain-separated)."""
    key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()
    message = f"{receipt_id}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(secret: str, receipt_id: uuid.UUID, expires: int, given: str, now: int) -> bool:
    """Whether ``given`` signs (receipt, expiry) and the expiry has not passed."""
    if expires < now:
        return False
    return hmac.compare_digest(signature(secret, receipt_id, expires), given)
