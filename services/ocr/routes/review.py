"""Validate and enhance the app's receipt JSON; categorize a description (internal routes)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.responses import Response

from contracts.ocr import CategorizeRequest, ReceiptReview
from services.ocr.deps import Context, Reader
from services.ocr.review import enhance, validate
from shared.api import ok
from shared.categorizer.categorizer import model_version

router = APIRouter()


@router.post("/receipts/validate")
async def validate_receipt(body: ReceiptReview, _: Reader, ctx: Context) -> Response:
    """The receipt validated and normalized (same fields), with errors and warnings."""
    today = ctx.now().date()
    data = await asyncio.to_thread(validate, body, ctx.categorizer, today)
    return ok(data, message="Receipt checked")


@router.post("/receipts/enhance")
async def enhance_receipt(body: ReceiptReview, _: Reader, ctx: Context) -> Response:
    """The receipt validated and enriched (chain name, category, merchant type)."""
    today = ctx.now().date()
    data = await asyncio.to_thread(enhance, body, ctx.categorizer, today)
    return ok(data, message="Receipt enhanced")


@router.post("/categorize")
async def categorize(body: CategorizeRequest, _: Reader, ctx: Context) -> Response:
    """Categories for a description, best first, each with a confidence and a reason."""
    found = await asyncio.to_thread(ctx.categorizer.suggest, body.description, body.amount)
    data = {
        "suggestions": [s.category for s in found],
        "categories": [
            {
                "category": s.category,
                "confidence": s.confidence,
                "reason": s.reason,
                "source": s.source,
            }
            for s in found
        ],
        "model_version": model_version(),
    }
    return ok(data)
