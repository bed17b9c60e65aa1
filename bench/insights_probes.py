"""The insights screens timed for the user-scale user (``make bench``): every GET of the
Insights, AI and behaviour screens with the app's parameters, through the gateway; the cached
ones also with the answer cache off."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bench.user_scale_http import Probe


def answered(data: Any) -> str | None:
    """Any answer in ``data`` (the figures themselves are tested in the e2e suite)."""
    return "no data" if data is None else None


def insights_probes(today: dt.date) -> list[Probe]:
    """One probe per insights read, the month ones for the current month."""
    month = {"year": today.year, "month": today.month}
    plain = [
        "/api/analytics/monthly", "/api/analytics/category-breakdown", "/api/analytics/trends",
        "/api/analytics/dashboard", "/api/analytics/seasonal-patterns",
        "/api/analytics/behavioral-insights", "/api/insights/", "/api/insights/history",
        "/api/insights/income_based_tips", "/api/ai/weekly-insights",
        "/api/ai/savings-optimization", "/api/ai/financial-health-score",
        "/api/ai/budget-optimization", "/api/behavior/predictions",
        "/api/behavior/recommendations", "/api/behavior/cluster", "/api/cohort/insights",
        "/api/cohort/income_classification",
    ]  # fmt: skip
    monthly = [
        "/api/ai/spending-anomalies", "/api/ai/spending-patterns", "/api/ai/monthly-report",
        "/api/ai/personalized-feedback", "/api/ai/profile", "/api/behavior/analysis",
        "/api/behavior/patterns", "/api/behavior/triggers", "/api/behavior/warnings",
        "/api/behavior/anomalies", "/api/behavior/category/food", "/api/cohort/peer_comparison",
    ]  # fmt: skip
    out = [Probe(path.removeprefix("/api/"), path, {}, answered) for path in plain]
    out += [Probe(path.removeprefix("/api/"), path, month, answered) for path in monthly]
    out += [
        Probe("ai/spending-prediction", "/api/ai/spending-prediction", {"days_ahead": 30},
              answered),
        Probe("behavior/anomalies?days", "/api/behavior/anomalies", {"days": 30}, answered),
        Probe("behavior/progress", "/api/behavior/progress", {"months": 6}, answered),
    ]  # fmt: skip
    return out


# The reads behind the insights answer cache (services/insights/answers.py).
CACHED = frozenset(
    {"analytics/seasonal-patterns", "insights/history", "ai/spending-anomalies",
     "behavior/patterns", "behavior/anomalies", "behavior/anomalies?days"}
)  # fmt: skip


def uncached_probes(today: dt.date) -> list[Probe]:
    """The cached reads again, to be timed with the cache off (figures, not targets: the
    issue's target is met cached)."""
    return [
        dataclasses.replace(p, label=f"{p.label} (uncached)", target=False)
        for p in insights_probes(today)
        if p.label in CACHED
    ]
