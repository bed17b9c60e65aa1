"""Export stored events to JSONL or Parquet for analysts (``mita events export``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from shared.crypto import KeyReader
from shared.envelope import EventEnvelope
from shared.replay import EventFilter, batches, sources_of, stored_between
from shared.settings import MitaSettings

Format = Literal["jsonl", "parquet"]
#: The columns of an export: the envelope, the payload as JSON (amounts stay exact strings).
COLUMNS = (
    "position",
    "service",
    "type",
    "schema_version",
    "event_id",
    "aggregate_id",
    "aggregate_version",
    "user_id",
    "occurred_at",
    "correlation_id",
    "causation_id",
    "payload",
)


def row_of(event: EventEnvelope) -> dict[str, Any]:
    """One export row of an event."""
    return {
        "position": event.position,
        "service": event.service,
        "type": event.type,
        "schema_version": event.schema_version,
        "event_id": str(event.event_id),
        "aggregate_id": str(event.aggregate_id),
        "aggregate_version": event.aggregate_version,
        "user_id": str(event.user_id) if event.user_id else None,
        "occurred_at": event.occurred_at,
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "payload": json.dumps(event.payload, sort_keys=True, default=str),
    }


class Sink(Protocol):
    """Where exported rows go."""

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows."""

    def close(self) -> None:
        """Finish the file."""


class JsonlSink:
    """One JSON object per line (the payload nested, not as a string)."""

    def __init__(self, out: IO[str] | Path) -> None:
        self._owned = isinstance(out, Path)
        self.out: IO[str] = out.open("w", encoding="utf-8") if isinstance(out, Path) else out

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows."""
        for row in rows:
            line = {**row, "occurred_at": row["occurred_at"].isoformat()}
            line["payload"] = json.loads(row["payload"])
            self.out.write(json.dumps(line, default=str) + "\n")

    def close(self) -> None:
        """Flush, and close the file if this sink opened it."""
        self.out.flush()
        if self._owned:
            self.out.close()


class ParquetSink:
    """A Parquet file, one row group per written batch."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = pa.schema(
            [
                ("position", pa.int64()),
                ("service", pa.string()),
                ("type", pa.string()),
                ("schema_version", pa.int32()),
                ("event_id", pa.string()),
                ("aggregate_id", pa.string()),
                ("aggregate_version", pa.int64()),
                ("user_id", pa.string()),
                ("occurred_at", pa.timestamp("us", tz="UTC")),
                ("correlation_id", pa.string()),
                ("causation_id", pa.string()),
                ("payload", pa.string()),
            ]
        )
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows as one row group."""
        if rows:
            self.writer.write_table(self.pa.Table.from_pylist(rows, schema=self.schema))

    def close(self) -> None:
        """Write the footer."""
        self.writer.close()


async def export(
    conn: AsyncConnection[DictRow],
    settings: MitaSettings,
    services: list[str],
    flt: EventFilter,
    sink: Sink,
    *,
    show_progress: bool = False,
    batch_size: int = 5000,
) -> int:
    """Write the events of ``services`` passing ``flt`` to ``sink``; return how many."""
    from tqdm import tqdm

    sources = sources_of(settings, services)
    total = 0
    for source in sources:
        total += await stored_between(conn, source, flt)
    written = 0
    keys = KeyReader.from_settings(settings)
    with tqdm(
        total=total, unit="ev", file=sys.stderr, disable=not show_progress, desc="export"
    ) as bar:
        for source in sources:
            scanned = [0]
            seen = 0
            pages = batches(conn, source, flt, batch_size=batch_size, scanned=scanned, keys=keys)
            async for page in pages:
                sink.write([row_of(e) for e in page])
                written += len(page)
                bar.update(scanned[0] - seen)
                seen = scanned[0]
            bar.update(scanned[0] - seen)
        bar.update(max(total - bar.n, 0))  # the events the filters passed over count as done
    sink.close()
    return written
