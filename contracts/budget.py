"""The budget's published contract: the request models of its API (the gateway validates them
first), its event names, the roll-up of transaction categories into plan categories and how
each category looks in the app (icon, color)."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from contracts.ledger import CATEGORIES
from shared.dates import DayOrInstant, valid_timezone

# Event names the budget publishes (topic mita.budget.events).
BUDGET_PLANNED: Final = "budget.BudgetPlanned"
BUDGET_REDISTRIBUTED: Final = "budget.BudgetRedistributed"
MONTH_REBALANCED: Final = "budget.MonthRebalanced"
BUDGET_ADAPTED: Final = "budget.BudgetAdapted"
ONBOARDING_SUBMITTED: Final = "budget.OnboardingSubmitted"
BUDGET_MODE_CHANGED: Final = "budget.BudgetModeChanged"
AUTOMATION_SETTINGS_CHANGED: Final = "budget.AutomationSettingsChanged"
GOAL_RESERVE_CHANGED: Final = "budget.GoalReserveChanged"
INSTALLMENT_FOLLOWED: Final = "budget.InstallmentFollowed"
FORECAST_DANGER_RAISED: Final = "budget.ForecastDangerRaised"
DAY_TURNED_RED: Final = "budget.DayTurnedRed"
#: The morning's advice for one local day: what the plan allows today (the scheduler, once).
DAILY_ADVICE_GIVEN: Final = "budget.DailyAdviceGiven"

#: Every transaction category → the plan category it counts in (budget-engine.md).
PLAN_CATEGORY_OF: Final = MappingProxyType(
    {
        "rent": "housing", "mortgage": "housing", "utilities": "utilities",
        "insurance": "insurance", "food": "food", "groceries": "food", "dining": "food",
        "coffee": "food", "transportation": "transportation", "gas": "transportation",
        "public_transport": "transportation", "taxi": "transportation",
        "healthcare": "healthcare", "education": "education", "childcare": "education",
        "shopping": "shopping", "clothing": "shopping", "personal_care": "shopping",
        "gifts": "shopping", "pets": "shopping", "entertainment": "entertainment",
        "subscriptions": "entertainment", "travel": "travel", "other": "other",
        "charity": "other",
    }
)  # fmt: skip

#: The icon names the app's dashboard maps to Flutter icons (api_service.dart:956-965);
#: any other name shows as the generic "category" icon, so only these are sent.
APP_ICONS: Final = frozenset(
    {
        "restaurant", "directions_car", "movie", "shopping_bag", "local_hospital", "power",
        "category", "attach_money",
    }
)  # fmt: skip
DEFAULT_LOOK: Final = ("category", "#607D8B")
# Icon and color (#RRGGBB, what the app parses) per plan category; fine names use their
# roll-up. Categories the app has no icon for share "category" and differ by color.
LOOKS: Final = MappingProxyType(
    {
        "housing": ("category", "#5C6BC0"),
        "utilities": ("power", "#FFA726"),
        "insurance": ("category", "#78909C"),
        "savings": ("attach_money", "#43A047"),
        "food": ("restaurant", "#EF5350"),
        "transportation": ("directions_car", "#29B6F6"),
        "healthcare": ("local_hospital", "#EC407A"),
        "education": ("category", "#7E57C2"),
        "shopping": ("shopping_bag", "#AB47BC"),
        "entertainment": ("movie", "#FF7043"),
        "travel": ("category", "#26A69A"),
        "other": ("category", "#8D6E63"),
    }
)


def look(category: str) -> tuple[str, str]:
    """(icon, color) of a plan or transaction category (a neutral pair when unknown)."""
    name = category.strip().lower()
    return LOOKS.get(PLAN_CATEGORY_OF.get(name, name), DEFAULT_LOOK)


Money = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=1000)]
GoalName = Annotated[str, Field(max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]


class Income(BaseModel):
    """Monthly income."""

    model_config = ConfigDict(extra="ignore")

    monthly_income: Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), decimal_places=2)]
    additional_income: Money | None = None


class Habits(BaseModel):
    """Spending habits (they shape which days, not amounts, except travel)."""

    model_config = ConfigDict(extra="ignore")

    dining_out_per_month: Count | None = None
    entertainment_per_month: Count | None = None
    clothing_per_month: Count | None = None
    travel_per_year: Count | None = None
    coffee_per_week: Count | None = None
    transport_per_month: Count | None = None


class Goals(BaseModel):
    """Savings goals."""

    model_config = ConfigDict(extra="ignore")

    savings_goal_amount_per_month: Money | None = None
    savings_goal_type: Annotated[str, Field(max_length=64)] | None = None
    has_emergency_fund: bool | None = None
    all_goals: (
        Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=20)] | None
    ) = None


class OnboardingRequest(BaseModel):
    """``POST /onboarding/submit``."""

    model_config = ConfigDict(extra="ignore")

    region: Annotated[str, Field(max_length=64)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    income: Income
    fixed_expenses: Annotated[dict[Name, Money], Field(max_length=50)] = Field(default_factory=dict)
    spending_habits: Habits = Field(default_factory=Habits)
    goals: Goals = Field(default_factory=Goals)

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str | None) -> str | None:
        """Refuse an unknown IANA zone."""
        return valid_timezone(value)

    def answers(self) -> dict[str, Any]:
        """The answers as the ``OnboardingSubmitted`` event keeps them (exact strings)."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        data.pop("timezone", None)
        return data


class ShellRequest(BaseModel):
    """``POST /calendar/shell``: a preview of a month's calendar, nothing stored."""

    model_config = ConfigDict(extra="ignore")

    savings_target: Money = Decimal(0)
    income: Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), decimal_places=2)]
    location: Annotated[str, Field(max_length=64)] | None = None
    fixed: Annotated[dict[Name, Money], Field(max_length=50)] = Field(default_factory=dict)
    weights: Annotated[dict[Name, Annotated[Decimal, Field(ge=0, le=1)]], Field(max_length=30)] = (
        Field(default_factory=dict)
    )
    year: Annotated[int, Field(ge=2000, le=2100)]
    month: Annotated[int, Field(ge=1, le=12)]


def _transaction_category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}")
    return value


class AffordabilityRequest(BaseModel):
    """``POST /transactions/check-affordability``: would this purchase fit that day's budget?"""

    model_config = ConfigDict(extra="ignore")

    category: Annotated[
        str,
        Field(max_length=64, json_schema_extra={"enum": sorted(CATEGORIES)}),
        AfterValidator(_transaction_category),
    ]
    amount: Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), decimal_places=2)]
    #: A day, or the app's ``DateTime.now().toIso8601String()`` (its local day in the user's zone).
    date: DayOrInstant | None = None


BudgetModeName = Literal["default", "flexible", "strict", "behavioral", "goal"]
Positive = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), decimal_places=2)]


class ModeRequest(BaseModel):
    """``PATCH /budget/mode``: one of the settings screen's modes."""

    model_config = ConfigDict(extra="ignore")

    mode: BudgetModeName


class AutomationRequest(BaseModel):
    """``PATCH /budget/automation_settings``: any of the four switches (the app sends one)."""

    model_config = ConfigDict(extra="ignore")

    auto_redistribution: bool | None = None
    smart_suggestions: bool | None = None
    behavioral_learning: bool | None = None
    realtime_alerts: bool | None = None


class AllocationRequest(BaseModel):
    """``POST /budget/behavioral_allocation``: ``{total_amount, profile}`` (profile unused)."""

    model_config = ConfigDict(extra="ignore")

    total_amount: Positive


class IncomeRequest(BaseModel):
    """``POST /budget/income_based_recommendations``."""

    model_config = ConfigDict(extra="ignore")

    monthly_income: Positive


class MonthlyRequest(BaseModel):
    """``POST /budget/monthly``: a month's plan; with ``user_answers`` a preview from them."""

    model_config = ConfigDict(extra="ignore")

    year: Annotated[int, Field(ge=2000, le=2100)]
    month: Annotated[int, Field(ge=1, le=12)]
    user_answers: OnboardingRequest | None = None


class DayStatusQuestion(BaseModel):
    """``POST /ai/day-status-explanation`` (api_service.dart:2721): the status the app shows
    and its day; the status is recomputed from the budget (the app's is only what it showed)."""

    model_config = ConfigDict(extra="ignore")

    status: Annotated[str, Field(max_length=20)] | None = None
    date: DayOrInstant | None = None


#: The financial health grade scale (budget-engine.md), published: every score in MITA that
#: is shown as a letter uses it.
GRADES: Final = (
    (90, "A+"),
    (85, "A"),
    (80, "B+"),
    (75, "B"),
    (70, "C+"),
    (65, "C"),
    (60, "D+"),
    (55, "D"),
)


def grade(score: int) -> str:
    """Letter grade: A+ ≥ 90, A ≥ 85, B+ ≥ 80, B ≥ 75, C+ ≥ 70, C ≥ 65, D+ ≥ 60, D ≥ 55, else F."""
    for floor, letter in GRADES:
        if score >= floor:
            return letter
    return "F"


MINUS: Final = "\u2212"  # a real minus sign, as the app shows money
ADJUSTED: Final = "Budget adjusted"


def category_label(category: str) -> str:
    """A plan category as people read it ("personal_care" → "Personal care")."""
    return category.replace("_", " ").capitalize()


def adjustment_message(moves: list[dict[str, Any]]) -> str:
    """How a ``BudgetRedistributed`` event's moves read: "Budget adjusted: Food +10.00,
    Entertainment −10.00" (receivers first, then donors, each summed over its days)."""
    change: dict[str, Decimal] = {}
    for move in moves:
        amount = Decimal(str(move["amount"]))
        change[move["to_category"]] = change.get(move["to_category"], Decimal(0)) + amount
        change[move["from_category"]] = change.get(move["from_category"], Decimal(0)) - amount
    ordered = sorted(
        (c for c, v in change.items() if v), key=lambda c: (change[c] < 0, list(change).index(c))
    )
    parts = [
        f"{category_label(c)} {'+' if change[c] > 0 else MINUS}{abs(change[c]):.2f}"
        for c in ordered
    ]
    return f"{ADJUSTED}: {', '.join(parts)}"
