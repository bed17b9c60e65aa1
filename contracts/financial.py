"""The affordability calls' published contract (dynamic_threshold_service.dart:27-147): the
user context the app sends and the raw objects it reads (top-level keys, not the envelope:
the app casts ``response.data`` itself); the installment evaluation list (api_service.dart:
2662, in the envelope)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import BaseModel, Field

from contracts.envelope import Tolerant
from contracts.ledger import MAX_AMOUNT

THRESHOLD_TYPES: Final = (
    "budget_allocation", "spending_pattern", "health_scoring", "savings_target",
    "goal_constraint", "behavioral_trigger",
)  # fmt: skip
Ratio = Annotated[Decimal, Field(ge=0, le=10)]


class UserContext(Tolerant):
    """``UserContext.toJson`` (the app's defaults when it knows no better)."""

    monthly_income: Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2)] = Decimal(0)
    age: Annotated[int, Field(ge=0, le=130)] = 35
    region: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z_-]+$")] = "US"
    family_size: Annotated[int, Field(ge=1, le=30)] = 1
    debt_to_income_ratio: Ratio = Decimal(0)
    months_of_data: Annotated[int, Field(ge=0, le=1200)] = 6
    current_savings_rate: Annotated[Decimal, Field(ge=-10, le=1)] = Decimal(0)
    housing_status: Annotated[str, Field(max_length=40)] = "rent"
    life_stage: Annotated[str, Field(max_length=40)] = "single"


class ThresholdsIn(Tolerant):
    """``POST /financial/dynamic-thresholds``."""

    threshold_type: Literal[
        "budget_allocation", "spending_pattern", "health_scoring", "savings_target",
        "goal_constraint", "behavioral_trigger",
    ]  # fmt: skip
    user_context: UserContext = Field(default_factory=UserContext)


class HousingIn(Tolerant):
    """``POST /financial/housing-affordability``."""

    user_context: UserContext = Field(default_factory=UserContext)


class ThresholdsOut(BaseModel):
    """The thresholds of one type: the keys the app's getters read for it, and the basis."""

    threshold_type: str
    monthly_income: Decimal
    income_tier: Literal["low", "middle", "high"]
    regional_adjustment_factor: Decimal
    source: Literal["plan", "income_tier"]
    housing: Decimal | None = None
    food: Decimal | None = None
    transport: Decimal | None = None
    entertainment: Decimal | None = None
    savings: Decimal | None = None
    small_purchase_threshold: Decimal | None = None
    medium_purchase_threshold: Decimal | None = None
    large_purchase_threshold: Decimal | None = None
    category_concentration_threshold: Decimal | None = None
    monthly_variance_threshold: Decimal | None = None
    impulse_buying_threshold: Decimal | None = None
    grade_boundaries: dict[str, Decimal] | None = None
    component_expectations: dict[str, Decimal] | None = None
    target_savings_rate: Decimal | None = None
    minimum_savings_rate: Decimal | None = None
    emergency_fund_months: Decimal | None = None
    maximum_goal_timeline_years: Decimal | None = None
    minimum_monthly_contribution: Decimal | None = None
    maximum_monthly_contribution: Decimal | None = None
    total_budget_variance_threshold: Decimal | None = None
    weekend_overspending_multiplier: Decimal | None = None


class HousingOut(BaseModel):
    """Housing ratios of income and what they mean a month."""

    monthly_income: Decimal
    income_tier: Literal["low", "middle", "high"]
    recommended_housing_ratio: Decimal
    maximum_housing_ratio: Decimal
    comfortable_housing_ratio: Decimal
    regional_adjustment_factor: Decimal
    recommended_monthly_housing: Decimal
    maximum_monthly_housing: Decimal
    comfortable_monthly_housing: Decimal
    current_housing: Decimal | None
    current_housing_ratio: Decimal | None
    assessment: str


class InstallmentEvaluation(BaseModel):
    """One ongoing installment weighed against the monthly income."""

    installment_id: str
    item_name: str
    category: str
    monthly_payment: Decimal
    share_of_income: Decimal | None
    risk_level: Literal["green", "yellow", "orange", "red"]
    message: str
