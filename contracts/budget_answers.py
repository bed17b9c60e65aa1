"""What the budget's routes answer in ``data`` (documented in OpenAPI; the routes relay the
service's JSON). Money is exact decimals; ratios 0..1."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

Money = Decimal


class Open(BaseModel):
    """Answers may carry more fields than listed."""

    model_config = ConfigDict(extra="allow")


class PlanSummary(Open):
    """A month's plan in categories."""

    total_income: Money
    fixed_expenses_total: Money
    savings_goal: Money
    discretionary_total: Money
    categories: dict[str, Money]
    method: str


class Onboarded(Open):
    """``POST /onboarding/submit``."""

    status: str
    calendar_days: int
    budget_plan: PlanSummary
    message: str


class CellStatus(Open):
    """One category of one day."""

    planned: Money
    spent: Money
    status: str


class CalendarDay(Open):
    """One day of ``/calendar/saved``."""

    date: str
    day: int
    limit: Money
    total: Money
    spent: Money
    status: str
    planned_budget: dict[str, CellStatus]


class SavedCalendar(Open):
    """``GET /calendar/saved/{year}/{month}`` (empty before onboarding)."""

    calendar: list[CalendarDay]


class DayCategory(Open):
    """A category of ``/calendar/day``."""

    category: str
    planned: Money
    spent: Money
    remaining: Money
    status: str


class DayDetail(Open):
    """``GET /calendar/day/{year}/{month}/{day}``."""

    date: str
    limit: Money
    spent: Money
    status: str
    categories: list[DayCategory]
    transactions: list[dict[str, Any]]


class ShellDay(Open):
    """A previewed day."""

    date: str
    planned_budget: dict[str, Money]
    limit: Money
    total: Money


class ShellCalendar(Open):
    """``POST /calendar/shell``."""

    calendar: list[ShellDay]


class LiveStatus(Open):
    """``GET /budget/live_status``."""

    date: str
    daily_budget: Money
    spent_today: Money
    remaining_today: Money
    status: str
    monthly_budget: Money
    monthly_spent: Money
    total_budget: Money
    total_spent: Money
    on_track: bool


class DailyRow(Open):
    """A row of ``GET /budget/daily``."""

    date: str
    limit: Money
    budget: Money
    spent: Money
    remaining: Money
    status: str


class MoveOut(Open):
    """Planned money moved between day-categories."""

    from_category: str
    to_category: str
    from_date: str
    to_date: str
    amount: Money


class Moves(Open):
    """``POST /budget/redistribute`` and ``/calendar/redistribute``."""

    moves: list[MoveOut]
    total_moved: Money


class HistoryRow(MoveOut):
    """A row of ``GET /budget/redistribution_history``."""

    at: str
    reason: str


class Forecast(Open):
    """``GET /budget/forecast``."""

    status: str
    planned: Money
    spent: Money
    pace: Money
    safe_daily_limit: Money
    projected_spend: Money
    projected_balance: Money
    categories_at_risk: list[dict[str, Any]]


class Dashboard(Open):
    """``GET /dashboard``."""

    balance: Money
    spent: Money
    user_income: Money
    daily_targets: list[dict[str, Any]]
    week: list[dict[str, Any]]
    transactions: list[dict[str, Any]]
    insights_preview: dict[str, str]
    goals: list[Any]
    goals_summary: dict[str, int]


class Affordability(Open):
    """``POST /transactions/check-affordability``."""

    can_afford: bool
    warning_level: str
    category: str
    amount: Money
    daily_budget: Money
    remaining_budget: Money
    alternative_categories: list[dict[str, Any]]
    suggestions: list[str]
    date: str


class BudgetStatus(Open):
    """``GET /transactions/budget-status``."""

    date: str
    has_plan: bool
    daily_budget: Money
    spent_today: Money
    remaining_today: Money
    status: str
    categories: list[dict[str, Any]]


class ModeAnswer(Open):
    """``GET``/``PATCH /budget/mode``."""

    mode: str
    method: str
    realtime_redistribution: bool
    spread_every_day: bool
    learns_from_spending: bool
    available_modes: list[str]


class Automation(Open):
    """``GET``/``PATCH /budget/automation_settings``."""

    auto_redistribution: bool
    smart_suggestions: bool
    behavioral_learning: bool
    realtime_alerts: bool


class Adaptations(Open):
    """``GET /budget/adaptations``."""

    year: int
    month: int
    mode: str
    adaptations: list[dict[str, Any]]
    count: int
    last_adapted_at: str | None


class Adapted(Open):
    """``POST /budget/auto_adapt``."""

    adapted: bool
    moves: list[MoveOut]
    total_moved: Money


class Suggestions(Open):
    """``GET /budget/suggestions``."""

    enabled: bool
    suggestions: list[dict[str, Any]]
    total_count: int
    intelligent_insights: list[dict[str, Any]]
    category_insights: list[dict[str, Any]]


class Allocation(Open):
    """``POST /budget/behavioral_allocation``."""

    total_amount: Money
    allocations: dict[str, dict[str, Decimal]]
    learned: bool
    based_on_plan: bool
    transactions_analyzed: int
    window_days: int


class IncomeRecommendation(Open):
    """``POST /budget/income_based_recommendations``."""

    monthly_income: Money
    tier: str
    method: str
    allocations: dict[str, Money]
    percentages: dict[str, Decimal]
    savings_rate: Decimal
    tips: list[str]


class Spent(Open):
    """``GET /budget/spent``."""

    year: int
    month: int
    total_spent: Money
    total_budget: Money
    categories: dict[str, Money]
    daily: dict[str, Money]
    transaction_count: int


class Monthly(Open):
    """``POST /budget/monthly``."""

    year: int
    month: int
    source: str
    total_budget: Money
    total_spent: Money
    categories: dict[str, Money]
    days: list[dict[str, Any]]


class HealthScore(BaseModel):
    """``GET /ai/financial-health-score`` and ``/analytics/health-score`` (budget-engine.md):
    the month's past days scored; components 0..100; risk_score = 100 − score."""

    score: int
    grade: str
    components: dict[str, Decimal]
    improvements: list[str]
    trend: str
    risk_score: int
    risk_level: str
    recommendations: list[str]
    previous_score: int | None = None
    has_plan: bool


class PlanMove(BaseModel):
    """Planned money that could move from one category to another."""

    from_category: str
    to_category: str
    amount: Decimal


class BudgetOptimization(BaseModel):
    """``GET /ai/budget-optimization``: each category's month-end projection at the current
    pace, the moves from projected surpluses to deficits, a 0..100 score and sentences."""

    year: int
    month: int
    overall_score: int
    categories: dict[str, dict[str, Decimal]]
    moves: list[PlanMove]
    suggestions: list[str]
    total_movable: Decimal


class DayStatusExplanation(BaseModel):
    """``POST /ai/day-status-explanation``: the day's status by the one rule, and why."""

    date: str
    status: str
    planned: Decimal
    spent: Decimal
    explanation: str
