"""The budget service API over ASGI with a real store and read model (fed by hand here)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.budget.main import create_app
from services.budget.read.projections import BudgetDaysProjection
from shared import tokens
from shared.projections import apply_batch, setup_tracking
from shared.settings import MitaSettings
from tests.integration.test_budget_days_projection import envelopes

ONBOARDING: dict[str, Any] = {
    "timezone": "Europe/Sofia",
    "income": {"monthly_income": 3000},
    "fixed_expenses": {"rent": 900, "phone": 30},
    "spending_habits": {"entertainment_per_month": 4},
    "goals": {"savings_goal_amount_per_month": 400},
}


def bearer(settings: MitaSettings, user: uuid.UUID, scopes: tuple[str, ...]) -> dict[str, str]:
    """An access token for ``user`` with ``scopes``."""
    token, _ = tokens.issue(
        settings.secret_key.get_secret_value(), user_id=user, typ="access",
        ttl=dt.timedelta(minutes=5), token_version=0, scopes=scopes,
    )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


async def test_budget_endpoints(settings: MitaSettings, conn: AsyncConnection[DictRow]) -> None:
    """Onboard, read calendar/status/daily/remaining/forecast, rebalance, preview a shell."""
    app = create_app(settings)
    projection = BudgetDaysProjection(settings.schema_for("budget"))
    await setup_tracking(conn, projection.schema)
    await projection.setup(conn)
    await conn.commit()
    user, stranger = uuid.uuid4(), uuid.uuid4()
    auth = bearer(settings, user, tokens.USER_SCOPES)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://budget") as client:
            today = dt.datetime.now(ZoneInfo("Europe/Sofia")).date()
            path = f"/calendar/saved/{today.year}/{today.month}"
            assert (await client.get(path)).status_code == 401
            read_only = bearer(settings, user, ("read:budget",))
            answer = await client.post("/onboarding/submit", json=ONBOARDING, headers=read_only)
            assert answer.status_code == 403
            answer = await client.get(path, headers=auth)
            assert answer.status_code == 200
            assert answer.json()["data"] == {"calendar": []}

            too_much = {**ONBOARDING, "fixed_expenses": {"rent": 5000}}
            answer = await client.post("/onboarding/submit", json=too_much, headers=auth)
            assert answer.status_code == 422
            assert "exceed" in answer.json()["detail"]
            answer = await client.post("/onboarding/submit", json=ONBOARDING, headers=auth)
            assert answer.status_code == 200, answer.text
            data = answer.json()["data"]
            assert data["status"] == "success"
            assert data["budget_plan"]["total_income"] == 3000
            assert data["budget_plan"]["categories"]["phone"] == 30
            await apply_batch(conn, projection, await envelopes(conn, settings, "budget"))

            calendar = (await client.get(path, headers=auth)).json()["data"]["calendar"]
            assert len(calendar) >= 28
            assert all(d["limit"] > 0 and d["total"] == d["limit"] for d in calendar)
            assert round(sum(d["limit"] for d in calendar), 2) == 3000
            other = bearer(settings, stranger, tokens.USER_SCOPES)
            assert (await client.get(path, headers=other)).json()["data"] == {"calendar": []}

            day = await client.get(f"/calendar/day/{today.year}/{today.month}/1", headers=auth)
            assert day.status_code == 200
            assert {c["category"] for c in day.json()["data"]["categories"]} >= {"housing"}
            bad = await client.get(f"/calendar/day/{today.year}/2/31", headers=auth)
            assert bad.status_code == 422

            live = (await client.get("/budget/live_status", headers=auth)).json()["data"]
            assert live["monthly_budget"] == 3000
            assert live["status"] in ("good", "neutral")
            rows = (await client.get("/budget/daily", headers=auth)).json()["data"]
            assert len(rows) == len(calendar)
            assert rows[0]["budget"] == rows[0]["limit"]
            remaining = await client.get(
                "/budget/remaining", params={"year": today.year, "month": today.month},
                headers=auth,
            )  # fmt: skip
            left = remaining.json()["data"]
            totals = {k: left.pop(k) for k in ("total_budget", "total_spent", "remaining")}
            assert round(sum(left.values()), 2) == 3000
            assert totals == {"total_budget": 3000, "total_spent": 0, "remaining": 3000}
            forecast = (await client.get("/budget/forecast", headers=auth)).json()["data"]
            assert forecast["status"] == "on_track"
            assert forecast["planned"] == 3000
            moved = await client.post("/budget/redistribute", headers=auth)
            assert moved.status_code == 200
            assert moved.json()["data"]["total_moved"] == 0  # nothing spent, nothing to move
            history = await client.get("/budget/redistribution_history", headers=auth)
            assert history.json()["data"] == []

            shell = {
                "income": 2000, "savings_target": 200, "fixed": {"rent": 800},
                "weights": {"food": 0.5, "entertainment": 0.5}, "year": 2024, "month": 2,
            }  # fmt: skip
            preview = (await client.post("/calendar/shell", json=shell, headers=auth)).json()
            days = preview["data"]["calendar"]
            assert len(days) == 29
            assert round(sum(d["limit"] for d in days), 2) == 2000
            assert all(d["total"] == 0 for d in days)
