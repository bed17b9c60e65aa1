"""The AI screens' calls, answered by the offline advice engine from the caller's own figures
(internal routes; ``?year&month`` where the app sends them)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from contracts.insights import AssistantAnswer, AssistantQuestion
from contracts.ledger import CATEGORIES
from services.insights import analytics, engine
from services.insights.advice import money, month_advice
from services.insights.deps import (
    AskedMonth,
    AskedYear,
    Context,
    HeaderZone,
    InsightsContext,
    Reader,
    local_today,
    remembered,
    viewing,
)
from services.insights.prompts import FeedbackAdvice, assistant_facts, feedback_facts
from services.insights.read.queries import Person, Reads, history, month_bounds, shift
from shared import tokens
from shared.api import ok

router = APIRouter()
ANOMALY_HISTORY_DAYS = 180
PREDICTION_WINDOW_DAYS = 90


async def unusual(
    reads: Reads, user: uuid.UUID, person: Person, since: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Unusually large purchases in [since, end), against each category's history over the
    180 days before ``end`` (or from ``since`` when that is longer)."""
    rows = await history(reads, user, since, end)
    start = min(since, end - dt.timedelta(days=ANOMALY_HISTORY_DAYS))
    spread = await reads.category_spread(user, start, end)
    return engine.anomalies(rows, spread, person.zone, person.currency)


async def recent_days(
    reads: Reads, user: uuid.UUID, person: Person, now: dt.datetime
) -> list[dict[str, Any]]:
    """Spending per local day and category over the prediction window before ``now``."""
    start = now - dt.timedelta(days=PREDICTION_WINDOW_DAYS)
    return await reads.by_day_category(user, start, now, person.zone_name)


def asked(today: dt.date, year: int | None, month: int | None) -> tuple[int, int]:
    """The asked month (default: this local month)."""
    return year or today.year, month or today.month


@router.get("/ai/spending-anomalies")
async def spending_anomalies(
    request: Request,
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """Unusually large transactions of the month, against the caller's own history (cached)."""

    async def compute(reads: Reads, person: Person, today: dt.date) -> Response:
        y, m = asked(today, year, month)
        return ok(await unusual(reads, caller.sub, person, *month_bounds(y, m, person.zone)))

    return await remembered(ctx, caller, zone, request, compute)


@router.get("/ai/spending-prediction")
async def spending_prediction(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    days_ahead: int = Query(default=30, ge=1, le=365),
) -> Response:
    """Spending over the next days per category, with an interval, from the last 90 days."""
    async with viewing(ctx, caller, zone) as (reads, person, _):
        daily = await recent_days(reads, caller.sub, person, ctx.now())
    return ok(engine.prediction(daily, days_ahead, PREDICTION_WINDOW_DAYS))


@router.get("/ai/weekly-insights")
async def weekly_insights(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """This local week (from Monday) against the last."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        monday = today - dt.timedelta(days=today.weekday())
        starts = [
            dt.datetime.combine(monday - dt.timedelta(days=7 * k), dt.time(), person.zone)
            for k in (0, 1)
        ]
        this = await reads.by_category(caller.sub, starts[0], starts[0] + dt.timedelta(days=7))
        last = await reads.by_category(caller.sub, starts[1], starts[0])
    this_total, rows = analytics.categories(this)
    last_total, _ = analytics.categories(last)
    top = rows[0]["category"] if rows else None
    return ok(engine.weekly(this_total, last_total, top, person.currency))


@router.get("/ai/savings-optimization")
async def savings_optimization(caller: Reader, ctx: Context, zone: HeaderZone) -> Response:
    """What trimming this month's discretionary categories would keep."""
    async with viewing(ctx, caller, zone) as (reads, person, today):
        this = await analytics.monthly(reads, caller.sub, person, today.year, today.month)
    return ok(engine.savings(this["by_category"], person.currency))


async def month_pair(
    ctx: InsightsContext,
    caller: tokens.Claims,
    zone: str | None,
    year: int | None,
    month: int | None,
) -> tuple[Person, dict[str, Any], dict[str, Any]]:
    """The asked month's figures and the month before's."""
    async with viewing(ctx, caller, zone) as (reads, person, _):
        y, m = asked(local_today(person), year, month)
        this = await analytics.monthly(reads, caller.sub, person, y, m)
        before = await analytics.monthly(reads, caller.sub, person, *shift(y, m, -1))
    return person, this, before


def patterns_of(this: dict[str, Any], currency: str | None) -> list[str]:
    """Sentences about how the month's money was spent."""
    out = []
    if this["by_category"]:
        top = this["by_category"][0]
        out.append(
            f"{top['category'].replace('_', ' ').title()} is your largest category: "
            f"{money(top['amount'], currency)}, {top['percentage']:.0f}% of the month."
        )
        out.append(
            f"Weekends hold {this['weekend_share']:.0f}% of your spending "
            f"({money(this['weekend_total'], currency)})."
        )
    if this["top_merchants"]:
        shop = this["top_merchants"][0]
        out.append(
            f"You shopped at {shop['merchant']} {shop['count']} times "
            f"({money(shop['amount'], currency)})."
        )
    if this["transaction_count"]:
        out.append(
            f"{this['transaction_count']} purchases, "
            f"{money(this['average_daily'], currency)} a day "
            "on average."
        )
    return out


@router.get("/ai/spending-patterns")
async def spending_patterns(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """How the month's money was spent, in sentences, with the figures behind them."""
    person, this, _ = await month_pair(ctx, caller, zone, year, month)
    data = {
        "patterns": patterns_of(this, person.currency),
        "weekend_share": this["weekend_share"],
        "top_categories": this["by_category"][:3],
        "top_merchants": this["top_merchants"][:3],
    }
    return ok(data)


@router.get("/ai/monthly-report")
async def monthly_report(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """The month in a summary, highlights and recommendations."""
    person, this, before = await month_pair(ctx, caller, zone, year, month)
    currency = person.currency
    when = dt.date(this["year"], this["month"], 1).strftime("%B %Y")
    change = analytics.ratio(this["total_spent"], before["total_spent"])
    spent, count = money(this["total_spent"], currency), this["transaction_count"]
    summary = f"In {when} you spent {spent} in {count} purchases"
    summary += (
        f", {abs(change):.0%} {'more' if change > 0 else 'less'} than the month before."
        if change is not None
        else "."
    )
    advice = month_advice(this, before, currency)
    data = {
        "summary": summary,
        "highlights": patterns_of(this, currency),
        "recommendations": engine.savings(this["by_category"], currency)["suggestions"]
        + ([advice["text"]] if advice else []),
        "total_spent": this["total_spent"],
        "previous_total": before["total_spent"],
        "change": change,
        "by_category": this["by_category"],
    }
    return ok(data)


@router.get("/ai/personalized-feedback")
async def personalized_feedback(
    caller: Reader,
    ctx: Context,
    zone: HeaderZone,
    year: AskedYear = None,
    month: AskedMonth = None,
) -> Response:
    """Feedback on the month and tips, from the caller's figures: the model's when one is
    configured (over those figures), else the offline engine's."""
    person, this, before = await month_pair(ctx, caller, zone, year, month)
    advice = month_advice(this, before, person.currency)
    offline = {
        "feedback": advice["text"] if advice else "No spending recorded for this month yet.",
        "tips": engine.savings(this["by_category"], person.currency)["suggestions"],
    }
    if ctx.advisor is None or not this["by_category"]:
        return ok(offline)
    facts = feedback_facts(this, before, person, offline)
    found = await ctx.advisor.ask(str(caller.sub), "feedback", facts, FeedbackAdvice)
    return ok(found.model_dump() if found else offline)


CATEGORY_WORDS = {c.replace("_", " "): c for c in CATEGORIES} | {
    "restaurants": "dining", "restaurant": "dining", "eating out": "dining", "fuel": "gas",
    "petrol": "gas", "supermarket": "groceries", "cafe": "coffee", "cafes": "coffee",
}  # fmt: skip


def topic(question: str) -> tuple[str | None, str]:
    """The category a question names (whole words) and its period."""
    text = question.casefold()
    category = next(
        (c for word, c in sorted(CATEGORY_WORDS.items(), key=lambda w: -len(w[0]))
         if re.search(rf"\b{re.escape(word)}\b", text)),
        None,
    )  # fmt: skip
    period = "last_month" if "last month" in text else "week" if "week" in text else "month"
    return category, period


@router.post("/ai/assistant")
async def assistant(
    body: AssistantQuestion, caller: Reader, ctx: Context, zone: HeaderZone
) -> Response:
    """Answer a question about the caller's own money, with the exact figures: the model's
    answer over the caller's aggregates when one is configured, else the offline engine's."""
    offline = await offline_answer(body, caller, ctx, zone)
    if ctx.advisor is None:
        return ok({"answer": offline})
    async with viewing(ctx, caller, zone) as (reads, person, today):
        this = await analytics.monthly(reads, caller.sub, person, today.year, today.month)
    facts = assistant_facts(body.question, this, person, offline)
    found = await ctx.advisor.ask(str(caller.sub), "assistant", facts, AssistantAnswer)
    return ok({"answer": found.answer if found else offline})


async def offline_answer(
    body: AssistantQuestion, caller: tokens.Claims, ctx: InsightsContext, zone: str | None
) -> str:
    """The offline engine's answer (totals by category and period, forecast, merchants)."""
    text = body.question.casefold()
    category, period = topic(body.question)
    async with viewing(ctx, caller, zone) as (reads, person, _):
        today, currency = local_today(person), person.currency
        if any(w in text for w in ("forecast", "predict", "next month", "will i")):
            now = ctx.now()
            daily = await recent_days(reads, caller.sub, person, now)
            forecast = engine.prediction(daily, 30, PREDICTION_WINDOW_DAYS)
            return (
                f"At your pace over the last {PREDICTION_WINDOW_DAYS} days you will spend about "
                f"{money(forecast['predicted_amount'], currency)} in the next 30 days "
                f"(between {money(forecast['lower_bound'], currency)} and "
                f"{money(forecast['upper_bound'], currency)})."
            )
        if period == "week":
            monday = today - dt.timedelta(days=today.weekday())
            start = dt.datetime.combine(monday, dt.time(), person.zone)
            end, label = start + dt.timedelta(days=7), "this week"
        else:
            y, m = (
                (today.year, today.month)
                if period == "month"
                else shift(today.year, today.month, -1)
            )
            start, end = month_bounds(y, m, person.zone)
            label = "this month" if period == "month" else dt.date(y, m, 1).strftime("in %B %Y")
        if any(w in text for w in ("merchant", "where", "shop", "store")):
            shops = await reads.by_merchant(caller.sub, start, end, 3)
            listed = ", ".join(
                f"{s['merchant']} ({money(s['amount'], currency)}, {s['count']}x)" for s in shops
            )
            return (
                f"Your biggest merchants {label}: {listed}."
                if shops
                else f"No merchants recorded {label}."
            )
        total, rows = analytics.categories(await reads.by_category(caller.sub, start, end))
    if category is not None:
        spent = next((r["amount"] for r in rows if r["category"] == category), Decimal("0.00"))
        count = next((r["count"] for r in rows if r["category"] == category), 0)
        name = category.replace("_", " ")
        plural = "" if count == 1 else "s"
        answer = f"You spent {money(spent, currency)} on {name} {label} ({count} purchase{plural})."
    else:
        parts = ", ".join(
            f"{r['category'].replace('_', ' ')} {money(r['amount'], currency)}" for r in rows[:3]
        )
        answer = f"You spent {money(total, currency)} {label}" + (f": {parts}." if parts else ".")
    return answer
