"""The installment planner's published contract: the calculator's request as the app sends it
(installment_models.dart:432) and its raw answer (:532-575). Installment routes answer raw
bodies, not the envelope (mobile-api.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, model_validator

from contracts.envelope import Tolerant
from contracts.ledger import MAX_AMOUNT

INSTALLMENT_CATEGORIES: Final = (
    "electronics", "clothing", "furniture", "travel", "education", "health", "groceries",
    "utilities", "other",
)  # fmt: skip
Money = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2)]


class CalculatorIn(Tolerant):
    """``POST /installments/calculator``."""

    purchase_amount: Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, decimal_places=2)]
    category: Literal[
        "electronics", "clothing", "furniture", "travel", "education", "health", "groceries",
        "utilities", "other",
    ]  # fmt: skip
    num_payments: Annotated[int, Field(ge=1, le=120)]
    interest_rate: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
    monthly_income: Money | None = None
    current_balance: (
        Annotated[Decimal, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, decimal_places=2)] | None
    ) = None
    age_group: Literal["18-24", "25-34", "35-44", "45+"] | None = None
    active_installments_count: Annotated[int, Field(ge=0, le=100)] = 0
    active_installments_monthly: Money = Decimal("0.00")
    credit_card_debt: Money = Decimal("0.00")
    other_monthly_obligations: Money = Decimal("0.00")
    planning_mortgage: bool = False

    @model_validator(mode="after")
    def _a_payment_is_money(self) -> CalculatorIn:
        # Below 1.00 a payment, cent rounding would pay the plan off before its last row.
        if self.purchase_amount < self.num_payments:
            raise ValueError("purchase_amount must be at least 1.00 per payment")
        return self


class RiskFactorOut(BaseModel):
    """One factor behind the risk level, explained."""

    factor: str
    severity: Literal["green", "yellow", "orange", "red"]
    message: str
    stat: str | None


class Alternative(BaseModel):
    """What to do instead of paying in installments."""

    recommendation_type: str
    title: str
    description: str
    savings_amount: Decimal | None
    time_needed_days: int | None


class CalculatorOut(BaseModel):
    """The calculator's raw answer."""

    risk_level: Literal["green", "yellow", "orange", "red"]
    risk_score: float
    verdict: str
    monthly_payment: Decimal
    total_interest: Decimal
    total_cost: Decimal
    first_payment_amount: Decimal
    payment_schedule: list[dict[str, Any]]
    dti_ratio: float | None
    payment_to_income_ratio: float | None
    remaining_monthly_funds: Decimal | None
    balance_after_first_payment: Decimal | None
    risk_factors: list[RiskFactorOut]
    personalized_message: str
    alternative_recommendation: Alternative | None
    warnings: list[str]
    tips: list[str]
    statistics: list[str]
    potential_late_fee: Decimal | None
    potential_overdraft: Decimal | None
    hidden_cost_message: str | None
