"""A local server speaking Google Cloud Vision's REST ``images:annotate``, reading with our
own Tesseract engine, so the real ``google-cloud-vision`` client is tested end to end.

Each request takes the next scripted behaviour (``ok`` once the script is empty): ``ok``
(read the image), ``error`` (a per-image error in the answer), ``503`` (service unavailable)
or ``slow`` (answer after the client's timeout).
"""

from __future__ import annotations

import base64
import contextlib
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from services.ocr.reading.engines import TesseractEngine, assemble_tessdata
from tests.json_server import json_server


class VisionServer:
    """The fake service: its URL, the script, and what it was asked."""

    def __init__(self, tessdata: Path) -> None:
        self.engine = TesseractEngine(tessdata, assemble_tessdata(tessdata))
        self.script: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.slow_seconds = 3.0
        self.url = ""

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON for one annotate request."""
        self.requests.append(body)
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "503":
            return 503, {
                "error": {
                    "code": 503,
                    "message": "The service is currently unavailable.",
                    "status": "UNAVAILABLE",
                }
            }
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if mode == "error":
            return 200, {"responses": [{"error": {"code": 3, "message": "Bad image data."}}]}
        request = body["requests"][0]
        image = Image.open(io.BytesIO(base64.b64decode(request["image"]["content"])))
        lines = self.engine.extract(image.convert("L")).lines
        text = "".join(f"{line.text}\n" for line in lines)
        words = [{"confidence": line.confidence} for line in lines]
        page = {"blocks": [{"paragraphs": [{"words": words}]}]}
        return 200, {
            "responses": [
                {
                    "fullTextAnnotation": {"text": text, "pages": [page]},
                    "textAnnotations": [{"description": text}],
                }
            ]
        }


@contextlib.contextmanager
def vision_server(tessdata: Path) -> Iterator[VisionServer]:
    """Serve on a free loopback port for the block."""
    fake = VisionServer(tessdata)
    with json_server(fake.answer) as url:
        fake.url = url + ""
        yield fake
