"""Public receipt and OCR routes (`/api/transactions/receipt*`, `/api/ocr/*`), served by the
OCR service. Uploads are forwarded as they came (multipart, bounded by the body-size limit);
the OCR service decides what the bytes are."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts import ocr
from contracts.envelope import Envelope as E
from contracts.ocr import CategorizeRequest, ReceiptReview
from services.gateway.deps import OcrReader, OcrWriter, Services
from services.gateway.routing import body, slash_tolerant
from services.gateway.settings import GatewaySettings

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["receipts"]
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}, "image/png": {}}}
}
FLAGS = {
    "use_premium": {"type": "string", "enum": ["true", "false"]},
    "auto_record": {
        "type": "string",
        "enum": ["true", "false"],
        "description": "Record the transaction from the reading (default false: the app "
        "records it itself after review)",
    },
}


def multipart(*fields: str, many: bool = False) -> dict[str, Any]:
    """OpenAPI for a multipart upload body with image field(s) ``fields``."""
    binary = {"type": "string", "format": "binary"}
    props: dict[str, Any] = {
        f: {"type": "array", "items": binary} if many else binary for f in fields
    }
    props.update(FLAGS)
    props["options"] = {"type": "string", "description": "A JSON object (advanced reading)"}
    schema = {"type": "object", "properties": props}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


async def forward_upload(up: Services, request: Request, path: str, **params: Any) -> Response:
    """Send the upload's body as it came; wait as long as the OCR service may take."""
    settings: GatewaySettings = request.app.state.settings
    raw = (await request.body(), request.headers.get("content-type", ""))
    answer = await up.call(
        "ocr", "POST", path, request=request, raw=raw, params=params,
        timeout=settings.ocr_timeout_seconds,
    )  # fmt: skip
    return up.relay("ocr", answer)


@route(
    "POST",
    "/transactions/receipt",
    tags=TAGS,
    response_model=E[ocr.ReceiptOut],
    openapi_extra=multipart("file"),
)
async def upload_receipt(_: OcrWriter, request: Request, up: Services) -> Response:
    """Read a receipt image (field ``file``): answers with the parsed receipt (200), or 202
    with ``status: processing`` if reading outlasts the wait. Creates no transaction unless
    ``auto_record=true``."""
    return await forward_upload(up, request, "/receipts")


@route(
    "POST",
    "/transactions/receipt/advanced",
    tags=TAGS,
    response_model=E[ocr.ReceiptOut],
    openapi_extra=multipart("file"),
)
async def upload_receipt_advanced(_: OcrWriter, request: Request, up: Services) -> Response:
    """As ``/transactions/receipt``, with ``use_premium`` (the premium engine) and ``options``."""
    return await forward_upload(up, request, "/receipts")


@route(
    "POST",
    "/transactions/receipt/batch",
    tags=TAGS,
    response_model=E[ocr.ReceiptBatchOut],
    openapi_extra=multipart("files", many=True),
)
async def upload_receipts(_: OcrWriter, request: Request, up: Services) -> Response:
    """Several receipt images (field ``files``), one job each; answers with every job."""
    return await forward_upload(up, request, "/receipts/batch")


@route("POST", "/ocr/process", tags=TAGS, status_code=202, response_model=E[ocr.ReceiptOut],
       openapi_extra=multipart("receipt"))  # fmt: skip
async def process_receipt(_: OcrWriter, request: Request, up: Services) -> Response:
    """Queue a receipt (field ``receipt`` or ``file``) and answer with the job at once (202);
    poll ``/ocr/status/{job_id}``."""
    return await forward_upload(up, request, "/receipts", wait="false")


@route("GET", "/transactions/receipt/status/{job_id}", tags=TAGS, response_model=E[ocr.ReceiptOut])
async def receipt_status(
    job_id: uuid.UUID, _: OcrReader, request: Request, up: Services
) -> Response:
    """One of the caller's receipt jobs: ``queued|processing|completed|failed``, ``progress``."""
    return await up.forward("ocr", request, f"/receipts/{job_id}", params={})


@route("GET", "/ocr/status/{job_id}", tags=TAGS, response_model=E[ocr.ReceiptOut])
async def ocr_status(job_id: uuid.UUID, _: OcrReader, request: Request, up: Services) -> Response:
    """The same job status as ``/transactions/receipt/status/{job_id}``."""
    return await up.forward("ocr", request, f"/receipts/{job_id}", params={})


@route("GET", "/transactions/receipt/{receipt_id}/image", tags=TAGS,
       response_model=E[ocr.ReceiptImageOut])  # fmt: skip
async def receipt_image(
    receipt_id: uuid.UUID, _: OcrReader, request: Request, up: Services
) -> Response:
    """A signed URL of the caller's receipt image (``data.url``, valid for minutes)."""
    return await up.forward("ocr", request, f"/receipts/{receipt_id}/image", params={})


@router.get(
    "/transactions/receipt/{receipt_id}/image/file",
    tags=list(TAGS),
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def receipt_image_file(
    receipt_id: uuid.UUID,
    request: Request,
    up: Services,
    expires: int | None = Query(default=None, ge=0, le=10**11),
    signature: str | None = Query(default=None, max_length=64, pattern="^[0-9a-f]*$"),
) -> Response:
    """The image behind a signed URL (no bearer: the signature is the permission; without
    a valid one, 403)."""
    params = {"expires": expires or 0, "signature": signature or ""}
    path = f"/receipts/{receipt_id}/image/file"
    return await up.forward("ocr", request, path, params=params, bearer=False)


@route("DELETE", "/transactions/receipt/{receipt_id}/image", tags=TAGS,
       response_model=E[ocr.ReceiptImageDeletedOut])  # fmt: skip
async def delete_receipt_image(
    receipt_id: uuid.UUID, _: OcrWriter, request: Request, up: Services
) -> Response:
    """Delete the caller's receipt image (the reading stays)."""
    return await up.forward("ocr", request, f"/receipts/{receipt_id}/image", params={})


@route("POST", "/transactions/receipt/validate", tags=TAGS, response_model=E[ocr.ReviewedReceipt])
async def validate_receipt(
    payload: ReceiptReview, _: OcrReader, request: Request, up: Services
) -> Response:
    """The app's receipt JSON validated and normalized, with ``errors`` and ``warnings``."""
    return await up.forward("ocr", request, "/receipts/validate", json=body(payload), params={})


@route("POST", "/ocr/enhance", tags=TAGS, response_model=E[ocr.ReviewedReceipt])
async def enhance_receipt(
    payload: ReceiptReview, _: OcrReader, request: Request, up: Services
) -> Response:
    """The app's receipt JSON validated and enriched (chain name, category, merchant type)."""
    return await up.forward("ocr", request, "/receipts/enhance", json=body(payload), params={})


@route("POST", "/ocr/categorize", tags=TAGS, response_model=E[ocr.CategorizeOut])
async def categorize(
    payload: CategorizeRequest, _: OcrReader, request: Request, up: Services
) -> Response:
    """Categories for a description (``data.suggestions``, best first)."""
    return await up.forward("ocr", request, "/categorize", json=body(payload), params={})
