"""The goals' published contract (ledger context): the app's goal form, the answers the Goals
tab reads (goal.dart, goals_provider.dart, goals_screen.dart, goal_insights_screen.dart,
smart_goal_recommendations_screen.dart) and the event names consumers read.

The app's form sends every field; explicit nulls and ``""`` mean "not set". Money is exact:
more than 2 decimals, or a target (or a saving) of 0 or less, is a 422.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from contracts.envelope import Tolerant, written_day
from contracts.ledger import MAX_AMOUNT

#: The app's goal categories (its picker's values), echoed exactly.
GOAL_CATEGORIES: Final = (
    "Savings", "Travel", "Emergency", "Technology", "Education", "Health", "Home", "Vehicle",
    "Investment", "Other",
)  # fmt: skip
PRIORITIES: Final = ("high", "medium", "low")
GOAL_STATUSES: Final = ("active", "paused", "completed", "cancelled")
DUE_SOON_DAYS: Final = 30

# Event names (topic mita.ledger.events, key = goal id). Every goal event carries ``user_id``.
GOAL_CREATED: Final = "ledger.GoalCreated"
GOAL_UPDATED: Final = "ledger.GoalUpdated"
GOAL_SAVINGS_ADDED: Final = "ledger.GoalSavingsAdded"
GOAL_LINKED_SAVINGS_CHANGED: Final = "ledger.GoalLinkedSavingsChanged"
GOAL_PAUSED: Final = "ledger.GoalPaused"
GOAL_RESUMED: Final = "ledger.GoalResumed"
GOAL_COMPLETED: Final = "ledger.GoalCompleted"
GOAL_CANCELLED: Final = "ledger.GoalCancelled"
GOAL_DELETED: Final = "ledger.GoalDeleted"
GOAL_EVENTS: Final = frozenset(
    {
        GOAL_CREATED, GOAL_UPDATED, GOAL_SAVINGS_ADDED, GOAL_LINKED_SAVINGS_CHANGED, GOAL_PAUSED,
        GOAL_RESUMED, GOAL_COMPLETED, GOAL_CANCELLED, GOAL_DELETED,
    }
)  # fmt: skip
#: Events after which a goal's ``status`` is the one named (Created/Updated carry it).
STATUS_AFTER: Final = {
    GOAL_PAUSED: "paused", GOAL_RESUMED: "active", GOAL_COMPLETED: "completed",
    GOAL_CANCELLED: "cancelled",
}  # fmt: skip


def _not_set(value: Any) -> Any:
    """``""`` (and blank strings) mean "not set", like null."""
    return None if isinstance(value, str) and not value.strip() else value


def _category(value: Any) -> Any:
    """One of the app's categories, matched without regard to case, in its own spelling."""
    value = _not_set(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("category must be a string")
    for known in GOAL_CATEGORIES:
        if known.casefold() == value.strip().casefold():
            return known
    raise ValueError(f"unknown goal category {value[:40]!r} (one of {', '.join(GOAL_CATEGORIES)})")


def _priority(value: Any) -> Any:
    value = _not_set(value)
    if value is None:
        return None
    text = str(value).strip().lower()
    if text not in PRIORITIES:
        raise ValueError("priority must be high, medium or low")
    return text


Money = Annotated[Decimal, Field(le=MAX_AMOUNT, decimal_places=2)]
Positive = Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, decimal_places=2)]
NotNegative = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]
GoalCategory = Annotated[str | None, BeforeValidator(_category)]
Priority = Annotated[str | None, BeforeValidator(_priority)]
TargetDay = Annotated[dt.date | None, BeforeValidator(written_day), BeforeValidator(_not_set)]
Optional = Annotated[NotNegative | None, BeforeValidator(_not_set)]


class GoalUpdate(Tolerant):
    """``PATCH /goals/{id}``: the app's whole form (goals_screen.dart:245); fields left out are
    unchanged, explicit nulls clear the optional ones (a null title or target: unchanged)."""

    title: Title | None = None
    description: Annotated[Text | None, BeforeValidator(lambda v: "" if v is None else v)] = None
    category: GoalCategory = None
    target_amount: Annotated[Positive | None, BeforeValidator(_not_set)] = None
    saved_amount: Optional = None
    monthly_contribution: Optional = None
    priority: Priority = None
    target_date: TargetDay = None


class GoalCreate(GoalUpdate):
    """``POST /goals/`` (goals_screen.dart:225, goals_provider.dart:223): title and target
    required; the category defaults to Other, the priority to medium, the saving to 0."""

    title: Title
    target_amount: Positive


class SavingsIn(Tolerant):
    """``POST /goals/{id}/add_savings {amount}``."""

    amount: Positive


#: The form's fields, in the order the request model declares them (the aggregate's too).
FORM_FIELDS: Final = tuple(GoalUpdate.model_fields)


class GoalOut(BaseModel):
    """A goal as the app reads it (goal.dart:38-62): ``id`` a string, times ISO strings."""

    id: str
    user_id: str
    title: str
    description: str
    category: str
    target_amount: Decimal
    saved_amount: Decimal
    current_amount: Decimal
    monthly_contribution: Decimal | None
    status: str
    progress: float
    target_date: str | None
    deadline: str | None
    created_at: str
    last_updated: str
    completed_at: str | None
    priority: str
    remaining_amount: Decimal
    is_completed: bool
    is_overdue: bool


class GoalStatistics(BaseModel):
    """``GET /goals/statistics``: counts, rates 0..100 and totals."""

    total_goals: int
    active_goals: int
    completed_goals: int
    paused_goals: int
    cancelled_goals: int
    completion_rate: float
    average_progress: float
    total_target_amount: Decimal
    total_saved_amount: Decimal
    total_monthly_contribution: Decimal
    overdue_goals: int
    due_soon: int


class GoalHealth(BaseModel):
    """``GET /goals/{id}/health`` (goal_insights_screen.dart:113-166)."""

    goal_id: str
    health_score: int
    on_track: bool
    status: str
    progress: float
    remaining_amount: Decimal
    months_left: int | None
    monthly_needed: Decimal | None
    monthly_contribution: Decimal | None
    predicted_completion_date: str | None
    insights: list[str]
    recommendations: list[str]


class GoalIdea(BaseModel):
    """A goal the caller could set, with the app's create-form keys (goals_provider.dart:223)."""

    title: str
    description: str
    reasoning: str
    category: str
    target_amount: Decimal
    monthly_contribution: Decimal
    priority: str
    suggested_deadline: str


class SmartRecommendations(BaseModel):
    """``GET /goals/smart_recommendations`` → ``data{recommendations}``."""

    recommendations: list[GoalIdea]
    monthly_income: Decimal | None
    average_monthly_spending: Decimal
    free_monthly: Decimal | None


class GoalAdjustment(BaseModel):
    """A change to an active goal's monthly contribution, and why."""

    goal_id: str
    goal_title: str
    current_monthly: Decimal
    suggested_monthly: Decimal
    reason: str


class GoalAdjustments(BaseModel):
    """``GET /goals/adjustments/suggestions`` → ``data{adjustments}``."""

    adjustments: list[GoalAdjustment]


class GoalOpportunity(BaseModel):
    """Spending the caller could turn into saving (smart_goal_recommendations_screen:344-381)."""

    suggested_goal: str
    reason: str
    category: str
    spending_category: str
    target_amount: Decimal
    monthly_contribution: Decimal


class GoalOpportunities(BaseModel):
    """``GET /goals/opportunities/detect`` → ``data{opportunities}``."""

    opportunities: list[GoalOpportunity]


class AnalyzedGoal(BaseModel):
    """One open goal in the analysis, funding order first."""

    id: str
    title: str
    category: str
    priority: str
    status: str
    progress: float
    saved_amount: Decimal
    target_amount: Decimal
    monthly_contribution: Decimal | None
    monthly_needed: Decimal | None
    on_track: bool
    months_left: int | None
    predicted_completion_date: str | None


class GoalAnalysis(BaseModel):
    """``GET /ai/goal-analysis``: the open goals against the caller's money (insights tab)."""

    summary: str
    goals: list[AnalyzedGoal]
    open_goals: int
    completed_goals: int
    total_target_amount: Decimal
    total_saved_amount: Decimal
    monthly_planned: Decimal
    monthly_needed: Decimal
    monthly_income: Decimal | None
    average_monthly_spending: Decimal
    free_monthly: Decimal | None
    on_track: bool
    recommendations: list[str]
