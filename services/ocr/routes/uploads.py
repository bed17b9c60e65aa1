"""Receipt uploads, job status and images (internal routes the gateway publishes)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts.ocr import IMAGE_PATH
from services.ocr.deps import Context, OcrContext, Reader, Writer
from services.ocr.domain import NotOwner, Receipt
from services.ocr.read.queries import answer, receipt_row
from services.ocr.reading.images import ImageRejected, clean
from services.ocr.routes.forms import Upload, read_form, upload_of
from services.ocr.signing import signature, verify
from shared.api import ApiError, ok, positioned
from shared.projections import poll

log = logging.getLogger(__name__)
router = APIRouter()
NOT_FOUND = "Receipt not found"
ENDED = ("completed", "failed")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


async def store_upload(
    ctx: OcrContext, user_id: uuid.UUID, data: bytes, upload: Upload
) -> tuple[Receipt, int]:
    """Clean, store and queue one image (the image is removed again if queuing fails)."""
    try:
        image = await asyncio.to_thread(clean, data)
    except ImageRejected as exc:
        raise ApiError(exc.status, str(exc), code="invalid_image") from exc
    receipt_id = uuid.uuid4()
    key = f"{user_id}/{receipt_id}.{EXTENSIONS[image.content_type]}"
    await asyncio.to_thread(ctx.store.put, key, image.data)
    try:
        result: tuple[Receipt, int] = await ctx.run(
            ctx.application.upload,
            receipt_id=receipt_id,
            user_id=user_id,
            image_key=key,
            image=image,
            engine=ctx.config.engine_for(upload.premium),
            premium=upload.premium,
            auto_record=upload.auto_record,
            at=ctx.now(),
        )
    except BaseException:
        await asyncio.to_thread(ctx.store.delete, key)
        raise
    return result


def pending_answer(receipt: Receipt) -> dict[str, Any]:
    """The job as the write model knows it (the read model has not caught up yet)."""
    return answer(pending_row(receipt))


async def settled(ctx: OcrContext, receipt_id: uuid.UUID, wait: float) -> dict[str, Any] | None:
    """The job's row once it ended, or as it stands when ``wait`` seconds have passed."""
    seen: list[dict[str, Any] | None] = [None]

    async def ended() -> bool:
        async with ctx.pool.connection() as conn:
            seen[0] = await receipt_row(conn, ctx.schema, receipt_id)
        return seen[0] is not None and seen[0]["status"] in ENDED

    await poll(ended, wait)
    return seen[0]


async def job_answer(ctx: OcrContext, receipt: Receipt, wait: float) -> dict[str, Any]:
    """The job after waiting (bounded) for its reading."""
    row = await settled(ctx, receipt.id, wait)
    return answer(row) if row is not None else pending_answer(receipt)


def finished(data: dict[str, Any], position: int) -> Response:
    """A synchronous upload's answer: the reading (200), still reading (202), or why not."""
    headers = positioned(position)
    if data["status"] == "completed":
        return ok(data, message="Receipt read", headers=headers)
    if data["status"] == "failed":
        status = 503 if data["error_code"] == "engine_unavailable" else 422
        raise ApiError(
            status,
            data["error"] or "The receipt could not be read",
            code="receipt_unreadable" if status == 422 else "ocr_unavailable",
            details={"job_id": data["job_id"], "reason": data["error_code"]},
        )
    return ok(data, status=202, message="Receipt is being read", headers=headers)


@router.post("/receipts")
async def upload(
    request: Request,
    caller: Writer,
    ctx: Context,
    wait: bool = Query(default=True, description="Answer with the reading (bounded wait)"),
) -> Response:
    """Upload one receipt image; by default answer with its reading."""
    form = await read_form(request, max_files=2)
    given = await upload_of(form, limit=ctx.config.ocr_max_upload_bytes)
    await ctx.count_upload(str(caller.sub), 1)
    receipt, position = await store_upload(ctx, caller.sub, given.images[0], given)
    if not wait:
        await ctx.caught_up(position)
        return ok(await job_answer(ctx, receipt, 0.0), status=202, headers=positioned(position))
    data = await job_answer(ctx, receipt, ctx.config.ocr_answer_wait_seconds)
    return finished(data, position)


@router.post("/receipts/batch")
async def upload_batch(request: Request, caller: Writer, ctx: Context) -> Response:
    """Upload several receipt images, one job each; answer with every job after a bounded
    wait for their readings."""
    limit = ctx.config.ocr_max_batch_files
    form = await read_form(request, max_files=limit)
    given = await upload_of(form, limit=ctx.config.ocr_max_upload_bytes, batch=True)
    if len(given.images) > limit:
        raise ApiError(422, f"At most {limit} receipts per batch", code="validation_error")
    await ctx.count_upload(str(caller.sub), len(given.images))
    stored = [await store_upload(ctx, caller.sub, data, given) for data in given.images]
    wait = ctx.config.ocr_answer_wait_seconds
    jobs = await asyncio.gather(*(job_answer(ctx, r, wait) for r, _ in stored))
    done = sum(j["status"] == "completed" for j in jobs)
    failed = sum(j["status"] == "failed" for j in jobs)
    data = {"jobs": jobs, "total": len(jobs), "processed": done, "failed": failed}
    return ok(data, headers=positioned(max(p for _, p in stored)))


async def owned_row(ctx: OcrContext, receipt_id: uuid.UUID, user: uuid.UUID) -> dict[str, Any]:
    """The caller's job row (404 for another user's or an unknown one)."""
    async with ctx.pool.connection() as conn:
        row = await receipt_row(conn, ctx.schema, receipt_id)
    if row is None:
        # Read-your-writes: a job this user just uploaded may not be projected yet.
        try:
            receipt = await ctx.run(ctx.application.owned, receipt_id, user)
        except (AggregateNotFoundError, NotOwner) as exc:
            raise ApiError(404, NOT_FOUND) from exc
        return pending_row(receipt)
    if row["user_id"] != user:
        raise ApiError(404, NOT_FOUND)
    return row


def pending_row(receipt: Receipt) -> dict[str, Any]:
    """A queued job's row from the write model."""
    return {
        "id": receipt.id, "user_id": receipt.user_id, "status": "queued",
        "image_deleted": receipt.image_deleted, "image_key": receipt.image_key,
        "content_type": receipt.content_type, "premium": receipt.premium,
        "auto_record": receipt.auto_record, "engine": receipt.engine,
        "created_at": receipt.uploaded_at, "updated_at": receipt.uploaded_at,
    }  # fmt: skip


@router.get("/receipts/{receipt_id}")
async def status(receipt_id: uuid.UUID, caller: Reader, ctx: Context) -> Response:
    """One of the caller's jobs: status, progress and (once completed) the reading."""
    return ok(answer(await owned_row(ctx, receipt_id, caller.sub)))


@router.get("/receipts/{receipt_id}/image")
async def image_url(receipt_id: uuid.UUID, caller: Reader, ctx: Context) -> Response:
    """A signed, short-lived URL of the caller's receipt image."""
    row = await owned_row(ctx, receipt_id, caller.sub)
    if row["image_deleted"]:
        raise ApiError(404, "The receipt image was deleted")
    expires = int(time.time()) + ctx.config.ocr_image_url_ttl_seconds
    sig = signature(ctx.settings.secret_key.get_secret_value(), receipt_id, expires)
    path = IMAGE_PATH.format(receipt_id=receipt_id)
    data = {
        "receipt_id": str(receipt_id),
        "url": f"{path}/file?expires={expires}&signature={sig}",
        "content_type": row["content_type"],
        "expires_at": dt.datetime.fromtimestamp(expires, dt.UTC),
    }
    return ok(data)


@router.get("/receipts/{receipt_id}/image/file")
async def image_file(
    receipt_id: uuid.UUID,
    ctx: Context,
    expires: int = Query(default=0, ge=0, le=10**11),
    signature_: str = Query(default="", alias="signature", max_length=64),
) -> Response:
    """The image itself, for a URL this service signed (no bearer: image widgets send none)."""
    secret = ctx.settings.secret_key.get_secret_value()
    if not verify(secret, receipt_id, expires, signature_, int(time.time())):
        raise ApiError(403, "The image link is invalid or has expired")
    async with ctx.pool.connection() as conn:
        row = await receipt_row(conn, ctx.schema, receipt_id)
    if row is None or row["image_deleted"]:
        raise ApiError(404, NOT_FOUND)
    data = await asyncio.to_thread(ctx.store.get, row["image_key"])
    if data is None:
        raise ApiError(404, NOT_FOUND)
    headers = {"Cache-Control": "private, max-age=300"}
    return Response(data, media_type=row["content_type"], headers=headers)


@router.delete("/receipts/{receipt_id}/image")
async def delete_image(receipt_id: uuid.UUID, caller: Writer, ctx: Context) -> Response:
    """Delete the caller's receipt image (the reading stays); repeating it is harmless."""
    row = await owned_row(ctx, receipt_id, caller.sub)
    position = await ctx.run(ctx.application.delete_image, receipt_id, caller.sub, ctx.now())
    await asyncio.to_thread(ctx.store.delete, row["image_key"])
    if position:
        await ctx.caught_up(position)
    return ok({"deleted": True, "receipt_id": str(receipt_id)}, headers=positioned(position))
