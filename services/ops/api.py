"""The ops API (admin scope only): streams, tails, exports, scratch replays, projection lag,
blue/green rebuilds and dead letters. Everything reads the stores, the log of record."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from contracts.ops import PARQUET, ExportFormat, ReplayRequest
from services.ops.deps import Context
from services.ops.jobs import AlreadyRunning, Job
from services.ops.views import event_view, filter_of, lag_rows, streams
from shared import db, kafka
from shared.api import ApiError, invalid, ok
from shared.dates import DayOrInstant
from shared.deadletters import NotDeadLettered, RedriveFailed, pending, redrive
from shared.envelope import EventEnvelope
from shared.export import JsonlSink, ParquetSink, Sink, export
from shared.identity import AdminClaims
from shared.projections import Projection
from shared.rebuild import timed
from shared.replay import drop_schema, replay_into, scratch_schema

router = APIRouter(prefix="/admin")
Service = Annotated[str, Query(max_length=40, description="a service with a store, or all")]


def store_services(service: str) -> list[str]:
    """The services an analyst's ``service`` parameter names (422 for an unknown one)."""
    from services import catalog

    if service == "all":
        return list(catalog.STORE_SERVICES)
    if service not in catalog.STORE_SERVICES:
        raise invalid("service", f"one of all, {', '.join(catalog.STORE_SERVICES)}")
    return [service]


@router.get("/events/streams")
async def list_streams(_: AdminClaims, ctx: Context) -> Response:
    """Each store's event count, head and counts by type, with its topic."""
    async with ctx.pool.connection() as conn:
        return ok(await streams(conn, ctx.settings))


@router.get("/events/tail")
async def tail(
    _: AdminClaims,
    ctx: Context,
    service: Service = "all",
    last: Annotated[int, Query(ge=1, le=10_000)] = 20,
) -> Response:
    """The last events the service's topic holds, or every topic's (what consumers are fed)."""
    topics = [ctx.settings.topic_for(s) for s in store_services(service)]
    records = await kafka.read_topics(
        ctx.settings.kafka_bootstrap, topics, last=min(last, ctx.settings.tail_max_events)
    )
    return ok([event_view(EventEnvelope.from_bytes(r.value)) for r in records])


@router.get("/events/export")
async def export_events(
    _: AdminClaims,
    ctx: Context,
    service: Service = "all",
    format: ExportFormat = "jsonl",
    type: Annotated[list[str] | None, Query(max_length=100)] = None,
    user_id: uuid.UUID | None = None,
    since: Annotated[DayOrInstant | None, Query()] = None,
    until: Annotated[DayOrInstant | None, Query()] = None,
    after_position: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    upto_position: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
) -> Response:
    """Events as a JSONL or Parquet file (filters: type, user, time and position ranges)."""
    services = store_services(service)
    flt = filter_of(type, user_id, since, until, after_position, upto_position)
    folder = Path(tempfile.mkdtemp(prefix="mita-export-"))
    path = folder / f"events.{format}"
    sink: Sink = JsonlSink(path) if format == "jsonl" else ParquetSink(path)
    async with ctx.pool.connection() as conn:
        count = await export(conn, ctx.settings, services, flt, sink)
    media = "application/x-ndjson" if format == "jsonl" else PARQUET
    return FileResponse(
        path,
        media_type=media,
        filename=f"mita-events-{service}.{format}",
        headers={"x-mita-event-count": str(count)},
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    """Delete an export's folder once it was sent."""
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()


@router.post("/events/replay")
async def replay(payload: ReplayRequest, _: AdminClaims, ctx: Context) -> Response:
    """Fold a range of events into a named scratch copy of a projection (its own schema)."""
    async with ctx.spec(payload.projection).opened(ctx.settings) as projection:
        pass  # a projection holds nothing open; a policy is refused below
    if not isinstance(projection, Projection) or not projection.rebuildable:
        raise invalid("projection", "a policy decides; only projections replay")
    try:
        user = uuid.UUID(payload.user_id) if payload.user_id else None
    except ValueError:
        raise invalid("user_id", "a user id (uuid)") from None
    flt = filter_of(
        payload.types, user, payload.since, payload.until,
        payload.after_position, payload.upto_position,
    )  # fmt: skip
    schema = scratch_schema(ctx.settings, payload.name)
    elapsed = timed()
    conn = await db.connect(ctx.settings.database_url)
    try:
        count = await replay_into(conn, ctx.settings, projection.on_schema(schema), flt)
    finally:
        await conn.close()
    return ok(
        {
            "projection": projection.name,
            "name": payload.name,
            "schema_name": schema,
            "events": count,
            "seconds": round(elapsed(), 3),
        }
    )


@router.delete("/events/replay/{name}")
async def drop_replay(name: str, _: AdminClaims, ctx: Context) -> Response:
    """Drop a scratch projection's schema."""
    try:
        schema = scratch_schema(ctx.settings, name)
    except ValueError as exc:
        raise invalid("name", str(exc)) from None
    async with ctx.pool.connection() as conn:
        await drop_schema(conn, schema)
    return ok({"name": name, "dropped": True})


@router.get("/projections")
async def projections(_: AdminClaims, ctx: Context) -> Response:
    """Every consumer's position against each source: lag in events and seconds."""
    async with ctx.pool.connection() as conn:
        return ok(await lag_rows(conn, ctx.settings))


def job_view(job: Job) -> dict[str, Any]:
    """A rebuild's state as the API shows it."""
    return {
        "projection": job.projection,
        "phase": job.phase,
        "done": job.done,
        "total": job.total,
        "events": job.events,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
    }


@router.post("/projections/{name}/rebuild", status_code=202)
async def start_rebuild(name: str, _: AdminClaims, ctx: Context) -> Response:
    """Rebuild a projection blue/green in the background (the live one serves meanwhile)."""
    async with ctx.spec(name).opened(ctx.settings) as projection:
        pass  # a projection holds nothing open; a policy is refused below
    if not isinstance(projection, Projection) or not projection.rebuildable:
        raise ApiError(409, f"{name} is a policy: its decisions are history and are not rebuilt")
    try:
        job = ctx.rebuilds.start(projection)
    except AlreadyRunning:
        raise ApiError(409, f"A rebuild of {name} is under way") from None
    return ok(job_view(job), status=202)


@router.get("/projections/{name}/rebuild")
async def rebuild_status(name: str, _: AdminClaims, ctx: Context) -> Response:
    """The last rebuild of a projection this process ran."""
    ctx.spec(name)
    job = ctx.rebuilds.jobs.get(name)
    if job is None:
        raise ApiError(404, f"No rebuild of {name} since this service started")
    return ok(job_view(job))


@router.get("/dead-letters")
async def dead_letters(
    _: AdminClaims, ctx: Context, projection: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """The dead letters not re-driven yet (one consumer's, or everyone's)."""
    from services import catalog

    names = [ctx.spec(projection).name] if projection else list(catalog.PROJECTIONS)
    found: list[dict[str, Any]] = []
    async with ctx.pool.connection() as conn:
        for name in names:
            async with catalog.PROJECTIONS[name].opened(ctx.settings) as consumer:
                found += [vars(d) for d in await pending(conn, ctx.settings, consumer)]
    return ok(found)


@router.post("/dead-letters/{projection}/{service}/{position}/redrive")
async def redrive_one(
    projection: str, service: str, position: int, _: AdminClaims, ctx: Context
) -> Response:
    """Apply one dead letter again from its store (it stays dead-lettered if it fails)."""
    async with ctx.spec(projection).opened(ctx.settings) as consumer, ctx.pool.connection() as conn:
        try:
            await redrive(conn, ctx.settings, consumer, service, position)
        except NotDeadLettered as exc:
            raise ApiError(404, str(exc)) from None
        except RedriveFailed as exc:
            raise ApiError(409, "The event failed again", details={"error": str(exc)}) from None
    return ok(
        {"projection": projection, "service": service, "position": position, "redriven": True}
    )
