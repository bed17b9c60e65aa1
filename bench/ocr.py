"""Receipts per minute with the reading worker at full load: queued uploads → relay → broker
→ worker (Tesseract, two at a time) → readings stored and projected."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import tempfile
import time
import uuid
from pathlib import Path

from bench.receipts import encoded, random_spec
from bench.report import Report, fmt_num, progress
from services.ocr.process.worker import ReadingWorker
from services.ocr.read.projections import ReceiptsProjection
from services.ocr.reading.images import clean
from services.ocr.settings import OcrSettings
from shared import db
from shared.relay import Relay
from shared.runner import ProjectionRunner
from shared.settings import MitaSettings

SECTION = "receipts (OCR worker)"


async def ended(settings: OcrSettings) -> int:
    """How many jobs have completed or failed (read model)."""
    conn = await db.connect(settings.database_url)
    try:
        cur = await conn.execute(
            f'SELECT count(*) AS n FROM "{settings.schema_for("ocr")}".receipts '
            "WHERE status IN ('completed', 'failed')"
        )
        row = await cur.fetchone()
        return int(row["n"]) if row else 0
    except Exception:
        return 0
    finally:
        await conn.close()


async def run(base: MitaSettings, report: Report, count: int) -> None:
    """Queue ``count`` receipts, start the pipeline, time until every job has ended."""
    with tempfile.TemporaryDirectory(prefix="mita-bench-ocr-") as tmp:
        values = base.model_dump()
        values.update(ocr_image_dir=str(Path(tmp) / "img"), ocr_tessdata_dir=str(Path(tmp) / "td"))
        settings = OcrSettings(**values)
        worker = ReadingWorker.from_settings(settings)
        worker.categorizer.model()
        worker.engines.get("tesseract")
        rng = random.Random(7)
        progress(f"ocr: rendering and queuing {count} receipts")
        for _ in range(count):
            image = clean(encoded(random_spec(rng), rng=rng))
            receipt_id, user = uuid.uuid4(), uuid.uuid4()
            key = f"{user}/{receipt_id}.jpg"
            worker.store.put(key, image.data)
            worker.application.upload(
                receipt_id=receipt_id, user_id=user, image_key=key, image=image,
                engine="tesseract", premium=False, auto_record=False, at=dt.datetime.now(dt.UTC),
            )  # fmt: skip
        stop = asyncio.Event()
        runners = [
            ProjectionRunner(settings, ReceiptsProjection(settings.schema_for("ocr"))),
            ProjectionRunner(settings, worker),
        ]
        started = time.perf_counter()
        tasks = [asyncio.create_task(Relay(settings, "ocr").run(stop))]
        tasks += [asyncio.create_task(r.run(stop)) for r in runners]
        try:
            deadline = started + max(120.0, count * 3.0)
            done = 0
            while done < count and time.perf_counter() < deadline:
                await asyncio.sleep(0.2)
                done = await ended(settings)
            seconds = time.perf_counter() - started
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            worker.application.close()
    per_minute = done / seconds * 60 if seconds else 0.0
    report.add(SECTION, "receipts read", f"{done}/{count}")
    report.add(SECTION, "throughput", fmt_num(per_minute), "receipts/min", "2 at a time")
    report.add(SECTION, "wall time", fmt_num(seconds, 1), "s", "incl. worker start")
