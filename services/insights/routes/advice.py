"""Advice from the caller's own figures, category suggestions and mood entries (internal)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from contracts.insights import CategorySuggestionIn, MoodIn
from services.insights import analytics
from services.insights.advice import advice_id, income_tips, month_advice
from services.insights.deps import (
    Context,
    HeaderZone,
    InsightsContext,
    Reader,
    Writer,
    remembered,
    viewing,
)
from services.insights.domain import InvalidEntry
from services.insights.read.queries import Person, Reads, shift
from shared import tokens
from shared.api import invalid, ok, positioned
from shared.dates import local_day, parse_day_or_instant

router = APIRouter()
HISTORY_MONTHS = 6
#: Transaction category → the display name the add-expense picker holds.
DISPLAY: Final[dict[str, str]] = {
    "food": "Food & Dining", "dining": "Food & Dining", "groceries": "Food & Dining",
    "coffee": "Food & Dining", "transportation": "Transportation", "gas": "Transportation",
    "public_transport": "Transportation", "taxi": "Transportation",
    "entertainment": "Entertainment", "subscriptions": "Entertainment",
    "healthcare": "Health & Fitness", "shopping": "Shopping", "clothing": "Shopping",
    "gifts": "Shopping", "pets": "Shopping", "utilities": "Bills & Utilities",
    "rent": "Bills & Utilities", "mortgage": "Bills & Utilities", "insurance": "Bills & Utilities",
    "education": "Education", "childcare": "Education", "travel": "Travel",
    "personal_care": "Personal Care", "other": "Other", "charity": "Other",
}  # fmt: skip


async def months_back(
    reads: Reads, caller: tokens.Claims, person: Person, today: dt.date, count: int
) -> list[dict[str, Any]]:
    """The monthly figures of the last ``count`` local months, newest first."""
    out = []
    for back in range(count):
        year, month = shift(today.year, today.month, -back)
        out.append(await analytics.monthly(reads, caller.sub, person, year, month))
    return out


async def history_of(
    ctx: InsightsContext, caller: tokens.Claims, zone: str | None, count: int
) -> tuple[Person, list[tuple[dict[str, Any], dict[str, str]]]]:
    """Each recent month with spending and its advice, newest first."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        return person, await advised(reads, caller, person, today, count)


async def advised(
    reads: Reads, caller: tokens.Claims, person: Person, today: dt.date, count: int
) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Each of the last ``count`` months with spending and its advice, newest first."""
    months = await months_back(reads, caller, person, today, count + 1)
    found = []
    for index, this in enumerate(months[:count]):
        advice = month_advice(this, months[index + 1], person.currency)
        if advice is not None:
            found.append((this, advice))
    return found


@router.get("/insights")
async def latest(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """The latest advice (this month's, else the last month with spending; null if none)."""
    _, found = await history_of(ctx, caller, zone, 2)
    if not found:
        return ok(None, message="No spending to advise on yet")
    this, advice = found[0]
    key = f"{this['year']}-{this['month']:02d}:{advice['text']}"
    data = {
        "id": advice_id(caller.sub, key),
        "title": advice["title"],
        "content": advice["text"],
        "text": advice["text"],
        "category": advice["category"],
        "priority": advice["priority"],
        "date": f"{this['year']}-{this['month']:02d}-01",
    }
    return ok(data)


@router.get("/insights/history")
async def history(request: Request, caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Advice of the recent months, newest first (cached: a year of monthly figures)."""

    async def compute(reads: Reads, person: Person, today: dt.date) -> Response:
        found = await advised(reads, caller, person, today, HISTORY_MONTHS)
        return ok(
            [
                {"date": f"{m['year']}-{m['month']:02d}-01", "text": a["text"], "title": a["title"]}
                for m, a in found
            ]
        )

    return await remembered(ctx, caller, zone, request, compute)


@router.get("/insights/income_based_tips")
async def tips(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """Tips comparing this month's spending with the caller's income."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        this = await analytics.monthly(reads, caller.sub, person, today.year, today.month)
    return ok(income_tips(this, person.income, person.currency))


@router.post("/ai/category-suggestions")
async def category_suggestions(body: CategorySuggestionIn, _: Reader, ctx: Context) -> Response:
    """Categories for a description as the add-expense picker's display names, best first."""
    found = await asyncio.to_thread(ctx.categorizer.suggest, body.description, body.amount, 6)
    out: list[dict[str, Any]] = []
    for suggestion in found:
        name = DISPLAY.get(suggestion.category, "Other")
        if any(s["category"] == name for s in out):
            continue
        out.append(
            {
                "category": name,
                "confidence": float(suggestion.confidence),
                "reason": suggestion.reason,
                "api_category": suggestion.category,
            }
        )
    return ok(out[:3])


@router.post("/mood", status_code=201)
async def mood(body: MoodIn, caller: Writer, ctx: Context, zone: HeaderZone) -> Response:
    """Record how the caller feels (the day is the caller's local day)."""
    async with ctx.pool.connection() as conn:
        person = await Reads(conn, ctx.schema).person(caller.sub, zone)
    now = ctx.now()
    try:
        given = parse_day_or_instant(body.date) if body.date else now
        day = local_day(
            given.replace(tzinfo=person.zone)
            if isinstance(given, dt.datetime) and given.tzinfo is None
            else given,
            person.zone,
        )
    except ValueError as exc:
        raise invalid("date", "date must be a date or an ISO date-time") from exc
    try:
        entry, position = await ctx.run(
            ctx.application.record_mood,
            user_id=caller.sub, mood=body.mood, day=day, note=body.note, at=now,
        )  # fmt: skip
    except InvalidEntry as exc:
        raise invalid(exc.field, str(exc)) from exc
    await ctx.caught_up(position)
    data = {"id": str(entry.id), "mood": entry.mood, "date": entry.day, "recorded_at": now}
    return ok(data, status=201, message="Mood recorded", headers=positioned(position))
