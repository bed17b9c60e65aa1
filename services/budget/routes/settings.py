"""Budget settings and adaptation routes: mode, automation switches, adaptations, auto-adapt."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.budget import AutomationRequest, ModeRequest
from services.budget.application import ModeChosen, Moved
from services.budget.deps import BudgetContext, Context, Manager, MonthAsked, Reader
from services.budget.engine.modes import LEARNING_DAYS, MODES, learned_wants_weights, mode_of
from services.budget.engine.money import ZERO
from services.budget.engine.plan import PlanError
from services.budget.read.history_queries import (
    budget_settings,
    month_moves,
    plan_log,
    spending_window,
    wants_count,
)
from services.budget.read.queries import month_bounds, spent_of
from services.budget.routes.plans import stored_month
from shared.api import invalid, ok, positioned

router = APIRouter()
PLAN_REASONS = {
    "onboarding": "Planned from your onboarding answers",
    "rollover": "New month planned from your latest answers",
    "mode": "Re-laid out for the new budget mode",
    "goals": "Re-planned to reserve your goals' monthly contributions",
    "installments": "Re-planned around your installment payments",
}
MOVE_REASONS = {
    "overspend": "Covered an overspend from future days",
    "rebalance": "Month rebalance: past surplus to past deficit",
    "auto_adapt": "Adapted to your spending pace",
}


def mode_payload(mode: str) -> dict[str, Any]:
    """The mode and what each one does (the settings screen shows its own texts)."""
    rules = mode_of(mode)
    return {
        "mode": rules.name,
        "method": rules.method,
        "realtime_redistribution": rules.realtime_cover,
        "spread_every_day": rules.spread_clustered,
        "learns_from_spending": rules.learned,
        "available_modes": list(MODES),
    }


@router.get("/budget/mode")
async def get_mode(caller: Reader, ctx: Context) -> Response:
    """The caller's budget mode (``default`` until one is chosen)."""
    async with ctx.pool.connection() as conn:
        mode, _ = await budget_settings(conn, ctx.schema, caller.sub)
    return ok(mode_payload(mode))


async def learned_weights(
    ctx: BudgetContext, user: uuid.UUID, today: dt.date
) -> dict[str, Decimal] | None:
    """The wants weights learned from the last ``LEARNING_DAYS`` days (None: not learned)."""
    async with ctx.pool.connection() as conn:
        _, automation = await budget_settings(conn, ctx.schema, user)
        if not automation["behavioral_learning"]:
            return None
        start = today - dt.timedelta(days=LEARNING_DAYS)
        spent, counts = await spending_window(conn, ctx.schema, user, start, today)
    return learned_wants_weights(spent, wants_count(counts))


@router.patch("/budget/mode")
async def set_mode(body: ModeRequest, caller: Manager, ctx: Context) -> Response:
    """Choose a mode; an onboarded month is re-laid out from today on (and the next month)."""
    today = await ctx.today(caller.sub)
    learns = mode_of(body.mode).learned
    weights = await learned_weights(ctx, caller.sub, today) if learns else None
    try:
        done: ModeChosen = await ctx.run(
            ctx.application.choose_mode, caller.sub, body.mode, weights, today, ctx.now()
        )
    except PlanError as exc:
        raise invalid("mode", str(exc)) from exc
    await ctx.caught_up(done.position)
    data = {**mode_payload(done.mode), "replanned": done.replanned, "learned_weights": weights}
    return ok(data, message="Budget mode updated", headers=positioned(done.position))


@router.get("/budget/automation_settings")
async def get_automation(caller: Reader, ctx: Context) -> Response:
    """The four automation switches (all on until changed)."""
    async with ctx.pool.connection() as conn:
        _, automation = await budget_settings(conn, ctx.schema, caller.sub)
    return ok(automation)


@router.patch("/budget/automation_settings")
async def set_automation(body: AutomationRequest, caller: Manager, ctx: Context) -> Response:
    """Change any of the switches; answers all four as they now stand."""
    changes: dict[str, bool] = body.model_dump(exclude_none=True)
    settings, position = await ctx.run(
        ctx.application.set_automation, caller.sub, changes, ctx.now()
    )
    await ctx.caught_up(position)
    return ok(settings, message="Automation settings updated", headers=positioned(position))


def plan_changes(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each plan of the month as a change against the one before it (the first: all of it)."""
    out: list[dict[str, Any]] = []
    before: dict[str, Decimal] = {}
    for row in log:
        now = {c: Decimal(str(a)) for c, a in row["categories"].items()}
        changes = {
            c: now.get(c, ZERO) - before.get(c, ZERO)
            for c in sorted(set(now) | set(before))
            if now.get(c, ZERO) != before.get(c, ZERO)
        }
        out.append(
            {
                "at": row["at"],
                "type": "planned" if not before else "replanned",
                "reason": row["reason"],
                "description": PLAN_REASONS.get(row["reason"], row["reason"]),
                "mode": row["mode"],
                "changes": changes,
                "total": sum(now.values(), ZERO),
                "position": row["position"],
            }
        )
        before = now
    return out


def move_changes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Moves grouped by the decision that made them."""
    grouped: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = grouped.setdefault(
            row["position"],
            {
                "at": row["at"],
                "type": row["reason"],
                "reason": row["reason"],
                "description": MOVE_REASONS.get(row["reason"], row["reason"]),
                "changes": {},
                "total": ZERO,
                "position": row["position"],
                "moves": [],
            },
        )
        amount = row["amount"]
        changes = entry["changes"]
        changes[row["to_category"]] = changes.get(row["to_category"], ZERO) + amount
        changes[row["from_category"]] = changes.get(row["from_category"], ZERO) - amount
        entry["total"] += amount
        entry["moves"].append(
            {
                "from_category": row["from_category"],
                "to_category": row["to_category"],
                "from_date": row["from_date"].isoformat(),
                "to_date": row["to_date"].isoformat(),
                "amount": amount,
            }
        )
    for entry in grouped.values():
        entry["changes"] = {c: v for c, v in sorted(entry["changes"].items()) if v}
    return list(grouped.values())


@router.get("/budget/adaptations")
async def adaptations(caller: Reader, ctx: Context, asked: MonthAsked) -> Response:
    """The month plan's recorded changes, in order: plans, covers, rebalances, adaptations."""
    y, m = asked.year, asked.month
    start, end = month_bounds(y, m)
    async with ctx.pool.connection() as conn:
        mode, _ = await budget_settings(conn, ctx.schema, caller.sub)
        log = await plan_log(conn, ctx.schema, caller.sub, y, m)
        moved = await month_moves(conn, ctx.schema, caller.sub, start, end)
    entries = sorted(plan_changes(log) + move_changes(moved), key=lambda e: e["position"])
    for entry in entries:
        entry.pop("position")
    data = {
        "year": y,
        "month": m,
        "mode": mode,
        "adaptations": entries,
        "count": len(entries),
        "last_adapted_at": entries[-1]["at"] if entries else None,
    }
    return ok(data)


@router.post("/budget/auto_adapt")
async def auto_adapt(caller: Manager, ctx: Context) -> Response:
    """Re-weight the rest of this month by the pace of spending so far."""
    today = await ctx.today(caller.sub)
    days = await stored_month(ctx, caller.sub, today.year, today.month)
    done: Moved = await ctx.run(ctx.application.adapt, caller.sub, today, spent_of(days), ctx.now())
    await ctx.caught_up(done.position)
    data = {
        "adapted": bool(done.moves),
        "moves": [m.as_dict() for m in done.moves],
        "total_moved": done.total,
    }
    message = "Budget adapted" if done.moves else "Nothing to adapt"
    return ok(data, message=message, headers=positioned(done.position))
