"""Public installment planner routes (`/api/installments*`, raw bodies as the app reads them:
package:http on paths without a trailing slash — both answer), served by the ledger context."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from contracts import installments as inst
from services.gateway.deps import BudgetReader, Services
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
