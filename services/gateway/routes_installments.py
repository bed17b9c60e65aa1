"""Public installment planner routes (`/api/installments*`, raw bodies as the app reads them:
package:http on paths without a trailing slash — both answer), served by the ledger context."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from contracts import installment_plans as ip
from contracts import installments as inst
from services.gateway.deps import BudgetManager, BudgetReader, Services
from services.gateway.routes_insights import ZoneHeader
from services.gateway.routing import body, slash_tolerant

router = APIRouter(prefix="/api", redirect_slashes=False)
route = slash_tolerant(router)
TAGS = ["installments"]


@route("POST", "/installments/calculator", tags=TAGS, response_model=inst.CalculatorOut)
async def calculator(
    payload: inst.CalculatorIn, _: BudgetReader, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """The amortized payment, a schedule summing exactly to the total cost, and a risk level
    from the documented factors, each explained (docs/installments.md)."""
    path = "/installments/calculator"
    return await up.forward("ledger", request, path, json=body(payload), params={})


@route("GET", "/installments/profile", tags=TAGS, response_model=ip.ProfileOut)
async def get_profile(_: BudgetReader, request: Request, up: Services) -> Response:
    """The caller's installment profile (404 when none was saved)."""
    return await up.forward("ledger", request, "/installments/profile", params={})


@route("POST", "/installments/profile", tags=TAGS, response_model=ip.ProfileOut)
async def save_profile(
    payload: ip.ProfileIn, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Save the caller's installment profile (``id``, ``user_id``, ``updated_at`` are ours)."""
    path = "/installments/profile"
    return await up.forward("ledger", request, path, json=body(payload), params={})


@route("GET", "/installments/achievements", tags=TAGS, response_model=ip.AchievementsOut)
async def achievements(
    _: BudgetReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None
) -> Response:
    """Completed installments, calculations run and declined, streaks and the level."""
    return await up.forward("ledger", request, "/installments/achievements", params={})


@route("GET", "/installments/calendar/{year}/{month}", tags=TAGS,
       response_model=ip.InstallmentCalendar)  # fmt: skip
async def calendar(
    year: Annotated[int, Path(ge=1970, le=2200)], month: Annotated[int, Path(ge=1, le=12)],
    _: BudgetReader, request: Request, up: Services, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Every payment of the month (paid, due or overdue), by day."""
    path = f"/installments/calendar/{year}/{month}"
    return await up.forward("ledger", request, path, params={})


@route("POST", "/installments", status_code=201, tags=TAGS, response_model=ip.InstallmentOut)
async def create(
    payload: ip.InstallmentIn, _: BudgetManager, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Track an installment from the app's whole object (the last payment settles the total)."""
    return await up.forward("ledger", request, "/installments", json=body(payload), params={})


@route("GET", "/installments", tags=TAGS, response_model=ip.InstallmentsSummary)
async def listed(
    _: BudgetReader, request: Request, up: Services,
    status: Annotated[Literal["active", "completed", "cancelled", "overdue"] | None,
                      Query()] = None,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """The caller's installments with counts, the monthly total, the next payment and the load
    (a fraction of the monthly income)."""
    params = {"status": status} if status else {}
    return await up.forward("ledger", request, "/installments", params=params)


@route("GET", "/installments/{installment_id:uuid}", tags=TAGS, response_model=ip.InstallmentOut)
async def one(
    installment_id: uuid.UUID, _: BudgetReader, request: Request, up: Services,
    x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """One of the caller's installments (another user's is a 404)."""
    return await up.forward("ledger", request, f"/installments/{installment_id}", params={})


@route("PATCH", "/installments/{installment_id:uuid}", tags=TAGS,
       response_model=ip.InstallmentOut)  # fmt: skip
async def change(
    installment_id: uuid.UUID, payload: ip.InstallmentPatch, _: BudgetManager, request: Request,
    up: Services, x_user_timezone: ZoneHeader = None,
) -> Response:  # fmt: skip
    """Set ``payments_made``, ``status`` (active, completed, cancelled) or ``notes``."""
    path = f"/installments/{installment_id}"
    return await up.forward("ledger", request, path, json=body(payload), params={})


@route("DELETE", "/installments/{installment_id:uuid}", status_code=204, tags=TAGS,
       response_class=Response)  # fmt: skip
async def delete(
    installment_id: uuid.UUID, _: BudgetManager, request: Request, up: Services
) -> Response:
    """Delete one of the caller's installments (204)."""
    return await up.forward("ledger", request, f"/installments/{installment_id}", params={})
