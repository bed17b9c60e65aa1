"""The saved budget calendar as the e2e tests read it (api_service.dart:1161)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.conftest import Stack

JSON = dict[str, Any]


async def saved_month(stack: Stack, headers: dict[str, str], year: int, month: int) -> list[JSON]:
    """GET /calendar/saved/{y}/{m}: the month's days."""
    answer = await stack.client.get(f"/api/calendar/saved/{year}/{month}", headers=headers)
    assert answer.status_code == 200, answer.text
    days: list[JSON] = answer.json(parse_float=Decimal)["data"]["calendar"]
    return days


def month_totals(days: list[JSON]) -> dict[str, Decimal]:
    """Σ planned per category over a month's days."""
    totals: dict[str, Decimal] = {}
    for entry in days:
        for name, line in entry["planned_budget"].items():
            totals[name] = totals.get(name, Decimal(0)) + Decimal(str(line["planned"]))
    return totals
