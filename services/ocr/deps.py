"""Ocr service dependencies: the resources a request needs, as ``Annotated`` aliases.

Identity as in the ledger: the gateway verified the bearer fully; the OCR service still checks
its signature, claims, type and scope itself, so ``sub`` is trustworthy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from services.ocr.application import OcrApplication
from services.ocr.settings import OcrSettings
from services.ocr.storage import ImageStore
from shared import tokens
from shared.api import ApiError
from shared.categorizer.categorizer import Categorizer
from shared.context_api import ServiceContext
from shared.identity import scoped

PROJECTION = "ocr_receipts"
READ_SCOPE = "read:ocr"
WRITE_SCOPE = "write:ocr"


@dataclass
class OcrContext(ServiceContext):
    """Everything the OCR API uses, built once per process in the app's lifespan."""

    application: OcrApplication
    store: ImageStore
    categorizer: Categorizer
    redis: Any

    service = "ocr"
    projection = PROJECTION

    @property
    def config(self) -> OcrSettings:
        """The OCR settings (the context is always built with them)."""
        assert isinstance(self.settings, OcrSettings)
        return self.settings

    async def count_upload(self, user: str, files: int) -> None:
        """Count uploads per user and hour in Redis; 429 past ``ocr_uploads_per_hour``."""
        now = dt.datetime.now(dt.UTC)
        window = now.strftime("%Y%m%d%H")
        key = f"{self.settings.redis_prefix('ocr')}:uploads:{user}:{window}"
        try:
            count = int(await self.redis.incrby(key, files))
            if count == files:
                await self.redis.expire(key, 3700)
        except Exception as exc:  # fail closed: uploads are costly
            raise ApiError(503, "Upload limits cannot be checked right now") from exc
        if count > self.config.ocr_uploads_per_hour:
            retry = 3600 - now.minute * 60 - now.second
            raise ApiError(
                429,
                f"Too many receipt uploads: at most {self.config.ocr_uploads_per_hour} an hour",
                headers={"Retry-After": str(max(retry, 1))},
            )


def get_context(request: Request) -> OcrContext:
    """The process's OCR context."""
    ctx: OcrContext = request.app.state.ocr
    return ctx


Context = Annotated[OcrContext, Depends(get_context)]


Reader = Annotated[tokens.Claims, Depends(scoped(READ_SCOPE))]
Writer = Annotated[tokens.Claims, Depends(scoped(WRITE_SCOPE))]
