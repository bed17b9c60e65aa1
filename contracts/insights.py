"""The insights context's published contract: request bodies the app sends (mood, usage
events), the analytics answers, and the event names it publishes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import BaseModel, Field, StringConstraints

from contracts.envelope import Tolerant

# Event names (topic mita.insights.events, key = the entry's id).
MOOD_RECORDED: Final = "insights.MoodEntryRecorded"
USAGE_RECORDED: Final = "insights.UsageEventRecorded"
CLUSTERS_FITTED: Final = "insights.ClusterModelFitted"
SNAPSHOT_TAKEN: Final = "insights.MonthSnapshotTaken"
#: The kinds of app usage events and the route each arrives on.
USAGE_KINDS: Final = ("feature_usage", "feature_access_attempt", "paywall_impression")
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Metadata = Annotated[dict[str, Any], Field(max_length=50)]


class MoodIn(Tolerant):
    """``POST /mood/`` (mood_provider.dart): the slider's 1..5 and the device's local time."""

    mood: Annotated[int, Field(ge=1, le=5)]
    date: Annotated[str, StringConstraints(max_length=64)] | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class MoodOut(BaseModel):
    """A recorded mood entry."""

    id: str
    mood: int
    date: dt.date
    recorded_at: dt.datetime


class FeatureUsageIn(Tolerant):
    """``POST /analytics/feature-usage`` (api_service.dart:3963)."""

    feature: Label
    screen: Label | None = None
    action: Label | None = None
    metadata: Metadata = Field(default_factory=dict)
    session_id: Label | None = None
    platform: Label | None = None
    app_version: Label | None = None


class FeatureAccessIn(Tolerant):
    """``POST /analytics/feature-access-attempt`` (api_service.dart:4005)."""

    feature: Label
    has_access: bool
    is_premium_feature: bool = True
    screen: Label | None = None
    metadata: Metadata = Field(default_factory=dict)


class PaywallImpressionIn(Tolerant):
    """``POST /analytics/paywall-impression`` (api_service.dart:4042)."""

    screen: Label
    feature: Label | None = None
    context: Label | None = None
    metadata: Metadata = Field(default_factory=dict)


class UsageRecordedOut(BaseModel):
    """A usage event taken in (the app checks for 200 exactly)."""

    recorded: bool
    event_id: str


class CategoryTotal(BaseModel):
    """One category's spending in a period."""

    category: str
    amount: Decimal
    count: int
    percentage: float


class DayTotal(BaseModel):
    """One local day's spending."""

    date: dt.date
    amount: Decimal


class MerchantTotal(BaseModel):
    """How often and how much at one merchant."""

    merchant: str
    count: int
    amount: Decimal


class MonthlyAnalytics(BaseModel):
    """``GET /analytics/monthly``: one local month of the caller's spending."""

    year: int
    month: int
    total_spent: Decimal
    transaction_count: int
    average_daily: Decimal
    income: Decimal | None
    savings: Decimal | None
    savings_rate: float | None
    by_category: list[CategoryTotal]
    daily: list[DayTotal]
    weekday_total: Decimal
    weekend_total: Decimal
    weekend_share: float
    top_merchants: list[MerchantTotal]


class CategoryBreakdown(BaseModel):
    """``GET /analytics/category-breakdown``."""

    year: int
    month: int
    total: Decimal
    categories: list[CategoryTotal]


class MonthTotal(BaseModel):
    """One month's total in a trend."""

    month: str
    total: Decimal
    count: int


class Trends(BaseModel):
    """``GET /analytics/trends?months=``: month totals, oldest first, and their direction."""

    months: list[MonthTotal]
    average_monthly: Decimal
    month_over_month_change: float | None
    trend: str


class AnalyticsDashboard(BaseModel):
    """``GET /analytics/dashboard``: this month against the last."""

    this_month: MonthlyAnalytics
    last_month_total: Decimal
    change: float | None
    trend: Trends


class Advice(BaseModel):
    """``GET /insights/``: the latest advice, from the caller's own figures."""

    id: str
    title: str
    content: str
    text: str
    category: str
    priority: str
    date: str


class AdviceEntry(BaseModel):
    """One entry of ``GET /insights/history``."""

    date: str
    text: str
    title: str


class AiCategorySuggestion(BaseModel):
    """``POST /ai/category-suggestions``: a display name the add-expense picker holds."""

    category: str
    confidence: float
    reason: str
    api_category: str


class CategorySuggestionIn(Tolerant):
    """``POST /ai/category-suggestions {description, amount}`` (amount may be null)."""

    description: Annotated[str, StringConstraints(max_length=500)] = ""
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"))] | None = None


class AssistantQuestion(Tolerant):
    """``POST /ai/assistant {question, context}`` (the context is not needed)."""

    question: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    context: dict[str, Any] | None = None


class AssistantAnswer(BaseModel):
    """The assistant's answer, from the caller's own figures."""

    answer: str


class Anomaly(BaseModel):
    """An unusually large transaction and why it stands out."""

    id: str
    type: str
    category: str
    description: str
    date: str
    amount: Decimal
    expected_amount: Decimal
    anomaly_score: float
    merchant: str | None
    possible_causes: list[str]
    confidence: float


class CategoryPrediction(BaseModel):
    """One category's predicted spending with its interval."""

    predicted_amount: Decimal
    lower_bound: Decimal
    upper_bound: Decimal
    confidence: float
    influencing_factors: list[str]


class SpendingPrediction(BaseModel):
    """``GET /ai/spending-prediction?days_ahead=``."""

    days_ahead: int
    predicted_amount: Decimal
    lower_bound: Decimal
    upper_bound: Decimal
    confidence: float
    predictions: dict[str, CategoryPrediction]


class WeeklyInsights(BaseModel):
    """``GET /ai/weekly-insights``: one sentence and the direction."""

    insights: str
    trend: str
    this_week: Decimal
    last_week: Decimal
    change: float | None


class SavingsOptimization(BaseModel):
    """``GET /ai/savings-optimization``."""

    potential_savings: Decimal
    suggestions: list[str]


class SpendingPatterns(BaseModel):
    """``GET /ai/spending-patterns``."""

    patterns: list[str]
    weekend_share: float
    top_categories: list[CategoryTotal]
    top_merchants: list[MerchantTotal]


class MonthlyReport(BaseModel):
    """``GET /ai/monthly-report``."""

    summary: str
    highlights: list[str]
    recommendations: list[str]
    total_spent: Decimal
    previous_total: Decimal
    change: float | None
    by_category: list[CategoryTotal]


class PersonalizedFeedback(BaseModel):
    """``GET /ai/personalized-feedback``."""

    feedback: str
    tips: list[str]


class PeerFigure(BaseModel):
    """One feature: the caller's value and the cluster centre's."""

    you: float
    peers: float


class BehaviorCluster(BaseModel):
    """``GET /behavior/cluster``: the caller's behavioural cluster (null before a model or
    enough spending), distance to its centre, peer comparison and recommendations."""

    cluster: str | None
    label: str | None
    cluster_name: str | None = None
    description: str | None = None
    characteristics: list[str] = Field(default_factory=list)
    distance: float | None = None
    model_version: str | None = None
    users_in_cluster: int | None = None
    peer_comparison: dict[str, PeerFigure] = Field(default_factory=dict)
    recommendations: list[str]
    reason: str | None = None


class IncomeClassification(BaseModel):
    """``GET /cohort/income_classification``: the app's five tiers."""

    monthly_income: Decimal
    tier: str
    tier_name: str
    range: str


class PeerCategory(BaseModel):
    """One category: the caller's month and the peers' average."""

    you: Decimal
    peer_average: Decimal


class PeerComparison(BaseModel):
    """``GET /cohort/peer_comparison``: aggregates of the caller's income tier (none for a
    cohort too small to stay anonymous)."""

    tier: str
    cohort_size: int
    your_spending: Decimal
    peer_average: Decimal | None
    peer_median: Decimal | None
    percentile: int | None
    categories: dict[str, PeerCategory]
    insights: list[str]


class CohortInsights(BaseModel):
    """``GET /cohort/insights``."""

    cohort_size: int
    your_rank: int | None
    percentile: int | None
    top_insights: list[str]
    recommendations: list[str]


class FeatureUsageStats(BaseModel):
    """``GET /analytics/feature-usage/{user_id}/{feature}``: the caller's own use."""

    feature: str
    total_events: int
    by_kind: dict[str, int]
    first_used_at: dt.datetime | None
    last_used_at: dt.datetime | None


class DayEvents(BaseModel):
    """Usage events of one UTC day."""

    day: dt.date
    events: int


class AdminInsights(BaseModel):
    """``GET /admin/insights``: counts for the admin portal, no personal data."""

    users: int
    active_users: int
    events_per_day: list[DayEvents]
    cluster_sizes: dict[str, int]
    cluster_model: str | None


class Snapshot(BaseModel):
    """``GET /ai/latest-snapshots`` items and the ``POST /ai/snapshot`` answer: a month rated
    on the health grade scale from the user's own figures (insights_screen.dart:1019)."""

    year: int
    month: int
    rating: str
    risk: str
    score: int | None
    components: dict[str, float]
    summary: str
    created_at: dt.datetime
