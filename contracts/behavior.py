"""The behaviour screens' contract (`/behavior/*`): the bodies the app sends, the answers it
reads (behavioral_provider.dart, behavioral_insights_screen.dart, user_settings_screen.dart)
and the settings events the insights context publishes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, StringConstraints

from contracts.envelope import Tolerant
from contracts.insights import Anomaly

# Event names (topic mita.insights.events, key = the user's settings aggregate id).
PREFERENCES_CHANGED: Final = "insights.BehaviorSettingsPreferencesChanged"
NOTIFICATIONS_CHANGED: Final = "insights.BehaviorSettingsNotificationsChanged"
#: Each setting and its default, declared once (the PATCH bodies, the events, the answers).
PREFERENCE_DEFAULTS: Final[dict[str, bool]] = {
    "auto_insights": True, "anomaly_detection": True, "predictive_alerts": True,
    "peer_comparison": False,
}  # fmt: skip
NOTIFICATION_DEFAULTS: Final[dict[str, bool]] = {
    "pattern_alerts": True, "anomaly_detection": True, "budget_adaptation": True,
    "weekly_insights": True,
}  # fmt: skip
Trend = Literal["up", "down", "stable"]


class PreferencesIn(Tolerant):
    """``PATCH /behavior/preferences``: any of the four switches (null or absent: unchanged)."""

    auto_insights: bool | None = None
    anomaly_detection: bool | None = None
    predictive_alerts: bool | None = None
    peer_comparison: bool | None = None


class NotificationSettingsIn(Tolerant):
    """``PATCH /behavior/notification_settings`` (the app sends every key, null when unset)."""

    pattern_alerts: bool | None = None
    anomaly_detection: bool | None = None
    budget_adaptation: bool | None = None
    weekly_insights: bool | None = None


class Preferences(BaseModel):
    """The behaviour analysis switches (defaults until the user changes one)."""

    auto_insights: bool
    anomaly_detection: bool
    predictive_alerts: bool
    peer_comparison: bool
    updated_at: dt.datetime | None = None


class NotificationSettings(BaseModel):
    """Which behaviour notifications the user wants."""

    pattern_alerts: bool
    anomaly_detection: bool
    budget_adaptation: bool
    weekly_insights: bool
    updated_at: dt.datetime | None = None


class ExpenseSuggestionIn(Tolerant):
    """``POST /behavior/expense_suggestions`` (every key sent, null when the form is empty)."""

    category: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("1e10"))] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    date: Annotated[str, StringConstraints(max_length=64)] | None = None


class CalendarIn(Tolerant):
    """``POST /behavior/calendar``: the month (the client's logs are not taken: the server
    holds the user's own history)."""

    year: Annotated[int, Field(ge=2000, le=2200)]
    month: Annotated[int, Field(ge=1, le=12)]


class CategoryPattern(BaseModel):
    """How one category is spent (spending_pattern_analyzer.dart casts the numbers ``as num``)."""

    average_amount: Decimal
    median_amount: Decimal
    total: Decimal
    frequency: int
    trend: str
    seasonality: dict[str, float]
    day_patterns: dict[str, float]
    time_patterns: dict[str, float]
    merchant_concentration: float
    variability: float
    consistency: float
    confidence: float


class BehaviorPatterns(BaseModel):
    """``GET /behavior/patterns``: per category, the dominant pattern."""

    period: str
    patterns: dict[str, CategoryPattern]
    dominant_pattern: str
    confidence: float


class Trait(BaseModel):
    """A measured habit: its figure and what it says."""

    name: str
    value: float
    description: str


class BehaviorAnalysis(BaseModel):
    """``GET /behavior/analysis``: the month's habits, each measured."""

    period: str
    total_spent: Decimal
    transactions: int
    behavioral_score: float
    spending_personality: str
    weekend_share: float
    impulse_rate: float
    top_categories: list[dict[str, Any]]
    traits: list[Trait]
    insights: list[str]


class RiskFactor(BaseModel):
    """A reason the forecast could be exceeded."""

    factor: str
    impact: Literal["high", "medium", "low"]


class BehaviorPredictions(BaseModel):
    """``GET /behavior/predictions`` (behavioral_insights_screen.dart:167-200)."""

    next_week_spending: Decimal
    next_month_spending: Decimal
    confidence: float
    recommended_budget: Decimal
    savings_potential: Decimal
    risk_factors: list[RiskFactor]
    insights: list[str]


class MonthAnomalies(BaseModel):
    """``GET /behavior/anomalies?year&month``; with ``?days`` the app reads the list alone."""

    period: str
    anomalies: list[Anomaly]
    count: int
    unusual_total: Decimal


class Trigger(BaseModel):
    """Something that comes before spending (behavioral_insights_screen.dart:1126)."""

    trigger_name: str
    type: str
    description: str
    frequency: str
    amount: Decimal


class Triggers(BaseModel):
    """``GET /behavior/triggers``."""

    period: str
    triggers: list[Trigger]
    transactions_analyzed: int


class Warning(BaseModel):
    """A day of the month to watch, and why."""

    date: dt.date
    type: str
    severity: Literal["high", "medium", "low"]
    message: str
    amount: Decimal


class Warnings(BaseModel):
    """``GET /behavior/warnings``: days that went over, and upcoming days that tend to."""

    period: str
    daily_average: Decimal
    warnings: list[Warning]


class Metric(BaseModel):
    """A progress figure; ``trend`` up means better (the screen paints up green)."""

    name: str
    value: float
    trend: Trend


class Progress(BaseModel):
    """``GET /behavior/progress?months``."""

    months_tracked: int
    overall_score: int
    progress_message: str
    metrics: list[Metric]
    improvements: list[str]
    monthly_breakdown: list[dict[str, Any]]


class Recommendations(BaseModel):
    """``GET /behavior/recommendations``: sentences (the screen lists them as text)."""

    recommendations: list[str]
    cluster: str | None


class CategoryInsights(BaseModel):
    """``GET /behavior/category/{category}``."""

    category: str
    period: str
    total_spent: Decimal
    average_spending: Decimal
    frequency: int
    share_of_spending: float
    trend: str
    day_patterns: dict[str, float]
    top_merchants: list[dict[str, Any]]
    goal_alignment: dict[str, Any]
    recommendations: list[str]


class CalendarDay(BaseModel):
    """One day of the behavioural calendar."""

    date: dt.date
    weekday: str
    expected_spending: Decimal
    spent: Decimal
    risk: Literal["high", "medium", "low"]


class BehaviorCalendar(BaseModel):
    """``POST /behavior/calendar``: each day's expected spending from the user's weekdays."""

    year: int
    month: int
    days: list[CalendarDay]
    expected_total: Decimal


class ExpenseSuggestions(BaseModel):
    """``POST /behavior/expense_suggestions``."""

    suggested_category: str | None
    category_average: Decimal | None
    is_unusual: bool
    suggestions: list[str]


class AiProfile(BaseModel):
    """``GET /ai/profile`` (getAIFinancialProfile; getBehaviorInsights maps key_strengths)."""

    period: str
    spending_personality: str
    behavioral_score: float
    cluster: str | None
    key_traits: list[str]
    key_strengths: list[str]
    strengths: list[str]
    improvement_areas: list[str]
    recommended_strategies: list[str]
