"""Seasonal patterns and behavioural insights: the app reads the raw body and needs 200
exactly, so the payload is both in ``data`` and at the top level."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Request
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from starlette.responses import Response

from services.insights import analytics, seasons
from services.insights.clusters import (
    DESCRIPTIONS,
    FEATURES,
    RECOMMENDATIONS,
    Model,
    characteristics,
)
from services.insights.deps import Context, HeaderZone, Reader, remembered, viewing
from services.insights.read.features import features
from services.insights.read.queries import Person, Reads, cluster_model, month_bounds, shift
from shared.api import JSONResponse, envelope, ok

router = APIRouter()
SEASON_MONTHS = 24


def both(data: dict[str, Any]) -> Response:
    """The envelope with ``data`` also spread at the top level."""
    return JSONResponse({**data, **envelope(data)})


@router.get("/analytics/seasonal-patterns")
async def seasonal_patterns(
    request: Request, caller: Reader, ctx: Context, zone: HeaderZone
) -> Response:
    """How each calendar month compares with the caller's average month (last 24 months;
    cached)."""

    async def compute(reads: Reads, person: Person, today: dt.date) -> Response:
        start, _ = month_bounds(*shift(today.year, today.month, -(SEASON_MONTHS - 1)), person.zone)
        _, end = month_bounds(today.year, today.month, person.zone)
        months = await reads.by_month_category(caller.sub, start, end, person.zone_name)
        return both(seasons.seasonal(months, person.currency))

    return await remembered(ctx, caller, zone, request, compute)


@router.get("/analytics/behavioral-insights")
async def behavioral_insights(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Habits of this month, each with its figures and what to do."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        this = await analytics.monthly(reads, caller.sub, person, today.year, today.month)
        before = await analytics.monthly(
            reads, caller.sub, person, *shift(today.year, today.month, -1)
        )
    return both(seasons.behavioral(this, before, person.currency, caller.sub))


async def my_cluster(
    conn: AsyncConnection[DictRow], schema: str, user: uuid.UUID
) -> tuple[Model, str, float, dict[str, float], dict[str, float]] | str:
    """The current model, the user's label, distance, centroid and own features; or why
    there is none yet."""
    stored = await cluster_model(conn, schema)
    mine = await features(conn, schema, user)
    if stored is None or not mine:
        return "No cluster model yet" if stored is None else "Not enough spending to compare yet"
    model = Model.from_json(stored)
    you = {name: float(mine[0][name]) for name in FEATURES}
    label, distance, peers = model.assign(you)
    return model, label, distance, peers, you


@router.get("/behavior/cluster")
async def cluster(caller: Reader, ctx: Context) -> Response:
    """The caller's behavioural cluster, how close to its centre, and the peer comparison."""
    async with ctx.pool.connection() as conn:
        found = await my_cluster(conn, ctx.schema, caller.sub)
    if isinstance(found, str):
        return ok({"cluster": None, "label": None, "cluster_name": None, "reason": found,
                   "characteristics": [], "recommendations": []})  # fmt: skip
    model, label, distance, peers, you = found
    comparison = {n: {"you": round(you[n], 4), "peers": round(peers[n], 4)} for n in FEATURES}
    data = {
        "cluster": label,
        "label": label.replace("_", " "),
        "cluster_name": label.replace("_", " ").title(),
        "description": DESCRIPTIONS[label],
        "characteristics": characteristics(you, peers),
        "distance": distance,
        "model_version": model.version,
        "users_in_cluster": model.sizes.get(label, 0),
        "peer_comparison": comparison,
        "recommendations": RECOMMENDATIONS[label],
    }
    return ok(data)
