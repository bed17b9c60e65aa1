"""The offline advice engine's pure parts: anomalies, prediction, weekly comparison, savings,
seasons, behaviour, advice text and the mood/usage domain."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from services.insights import engine, seasons
from services.insights.advice import income_tips, money, month_advice
from services.insights.analytics import categories, ratio, share
from services.insights.domain import InvalidEntry, MoodEntry, UsageEvent
from services.insights.read.queries import month_bounds, shift

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def row(
    amount: str, days_ago: int, category: str = "groceries", merchant: str = "Billa"
) -> dict[str, Any]:
    """A spending fact."""
    return {
        "id": uuid.uuid4(), "amount": Decimal(amount), "category": category,
        "merchant": merchant, "spent_at": NOW - dt.timedelta(days=days_ago),
    }  # fmt: skip


def test_months_and_shares() -> None:
    zone = dt.timezone(dt.timedelta(hours=2))
    start, end = month_bounds(2026, 12, zone)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-12-01T00:00:00+02:00", "2027-01-01T00:00:00+02:00",
    )  # fmt: skip
    assert shift(2026, 1, -1) == (2025, 12)
    assert shift(2026, 11, 3) == (2027, 2)
    assert share(Decimal("1"), Decimal("3")) == 33.33
    assert share(Decimal("1"), Decimal("0")) == 0.0
    assert ratio(Decimal("150"), Decimal("100")) == 0.5
    assert ratio(Decimal("1"), Decimal("0")) is None
    total, rows = categories([{"category": "a", "amount": Decimal("3"), "count": 1}])
    assert (total, rows[0]["percentage"]) == (Decimal("3"), 100.0)


def test_an_outlier_is_an_anomaly_with_its_reason() -> None:
    rows = [
        row("20.00", 40),
        row("22.00", 30),
        row("19.50", 20),
        row("21.00", 10),
        row("250.00", 1),
    ]
    # The history's median 21.00 and MAD 1.00 (|20-21|, |22-21|, |19.5-21|, 0, 229 → 1.00).
    spread = {"groceries": (Decimal("21.00"), Decimal("1.00"), 5)}
    found = engine.anomalies(rows[-1:], spread, dt.UTC, "EUR")
    assert [a["amount"] for a in found] == [Decimal("250.00")]
    assert found[0]["expected_amount"] == Decimal("21.00")
    assert "250.00 EUR" in found[0]["description"]
    assert "11.9x" in found[0]["description"]
    assert found[0]["anomaly_score"] == 154.46  # 0.6745 × 229 / 1
    assert 0.5 < found[0]["confidence"] < 1
    # Too little history, nothing unusual, or no history of the category: no anomaly.
    assert (
        engine.anomalies(rows[-1:], {"groceries": (*spread["groceries"][:2], 3)}, dt.UTC, None)
        == []
    )
    assert engine.anomalies(rows[:4], spread, dt.UTC, None) == []
    assert engine.anomalies(rows[-1:], {}, dt.UTC, None) == []
    flat = {"groceries": (Decimal("21.00"), Decimal("0"), 5)}  # no spread: 5 % of the median
    assert engine.anomalies([row("30.00", 1)], flat, dt.UTC, None)[0]["anomaly_score"] == 5.78


def test_prediction_is_the_daily_rate_with_an_interval() -> None:
    days = [(NOW - dt.timedelta(days=d)).date() for d in (1, 3, 5, 2)]
    daily = [{"category": "dining", "date": d, "amount": Decimal("30.00")} for d in days[:3]]
    daily.append({"category": "rent", "date": days[3], "amount": Decimal("90.00")})
    forecast = engine.prediction(daily, 30, 90)
    assert forecast["predictions"]["dining"]["predicted_amount"] == Decimal("30.00")
    assert forecast["predictions"]["rent"]["predicted_amount"] == Decimal("30.00")
    assert forecast["predicted_amount"] == Decimal("60.00")
    assert forecast["lower_bound"] < Decimal("60.00") < forecast["upper_bound"]
    assert engine.prediction([], 30, 90)["predicted_amount"] == Decimal("0.00")


def test_weekly_and_savings_sentences_carry_the_amounts() -> None:
    up = engine.weekly(Decimal("150"), Decimal("100"), "dining", "BGN")
    assert (up["trend"], up["change"]) == ("up", 0.5)
    assert "150.00 BGN" in up["insights"]
    assert "50% more" in up["insights"]
    assert engine.weekly(Decimal("0"), Decimal("0"), None, None)["trend"] == "none"
    assert engine.weekly(Decimal("10"), Decimal("0"), None, None)["trend"] == "new"
    cut = engine.savings(
        [{"category": "dining", "amount": Decimal("45.50")},
         {"category": "rent", "amount": Decimal("900.00")}],
        None,
    )  # fmt: skip
    assert cut["potential_savings"] == Decimal("9.10")
    assert engine.savings([], None)["potential_savings"] == Decimal("0.00")


def month(total: str, cats: list[tuple[str, str, float]], **extra: Any) -> dict[str, Any]:
    """A monthly-analytics dict."""
    return {
        "year": 2026, "month": 11, "total_spent": Decimal(total),
        "by_category": [{"category": c, "amount": Decimal(a), "count": 1, "percentage": p}
                        for c, a, p in cats],
        "weekend_share": 10.0, "weekend_total": Decimal("1"), "top_merchants": [],
        "savings": extra.get("savings"),
    }  # fmt: skip


def test_advice_and_tips_name_the_users_figures() -> None:
    this = month("200.00", [("dining", "150.00", 75.0)], savings=Decimal("-20"))
    last = month("100.00", [("dining", "100.00", 100.0)])
    advice = month_advice(this, last, "EUR")
    assert advice is not None
    assert "150.00 EUR" in advice["text"]
    assert "50% more" in advice["text"]
    assert "20.00 EUR above your income" in advice["text"]
    assert advice["priority"] == "high"
    assert month_advice(month("0", []), None, None) is None
    tips = income_tips(month("2000.00", [("rent", "1200.00", 60.0)]), Decimal("3000"), "EUR")
    assert any("Housing takes 40%" in t for t in tips)
    assert any("keep 1,000.00 EUR" in t for t in tips)
    short = income_tips(month("2900.00", [("rent", "900.00", 31.0)]), Decimal("3000"), "EUR")
    assert any("100.00 EUR left" in t for t in short)
    assert "income" in income_tips(month("1", []), None, None)[0]
    assert money(Decimal("1234.5"), None) == "1,234.50"


def test_seasons_and_behaviour() -> None:
    figures = seasons.seasonal(
        {(2026, 11, "food"): Decimal("300"), (2026, 10, "food"): Decimal("100")}, "EUR"
    )
    assert figures["monthly_patterns"]["11"] == 1.5
    assert figures["monthly_patterns"]["3"] == 1.0
    assert figures["food"]["impact_score"] == 0.5
    assert figures["food"]["recommendations"]
    this = month("300.00", [("food", "300.00", 100.0)])
    shop = {"merchant": "Billa", "count": 4, "amount": Decimal("120")}
    this.update(weekend_share=60.0, weekend_total=Decimal("180"), top_merchants=[shop])
    found = seasons.behavioral(this, month("100.00", []), "EUR", uuid.uuid4())
    kinds = [i["type"] for i in found["insights"]]
    assert kinds == [
        "weekend_spending",
        "category_concentration",
        "frequent_merchant",
        "spending_increase",
    ]
    assert len(found["recommendations"]) == 3


def test_mood_and_usage_entries_are_checked() -> None:
    user = uuid.uuid4()
    entry = MoodEntry.record(
        entry_id=uuid.uuid4(), user_id=user, mood=3, day=NOW.date(), note=None, recorded_at=NOW
    )
    assert entry.mood == 3
    for mood, day in ((0, NOW.date()), (6, NOW.date()), (3, NOW.date() + dt.timedelta(days=5))):
        with pytest.raises(InvalidEntry):
            MoodEntry.record(
                entry_id=uuid.uuid4(), user_id=user, mood=mood, day=day, note=None, recorded_at=NOW
            )
    fields: dict[str, Any] = {
        "user_id": user,
        "feature": "x",
        "screen": None,
        "details": {},
        "occurred_at": NOW,
    }
    assert (
        UsageEvent.record(event_id=uuid.uuid4(), kind="paywall_impression", **fields).kind
        == "paywall_impression"
    )
    with pytest.raises(InvalidEntry, match="kind"):
        UsageEvent.record(event_id=uuid.uuid4(), kind="tap", **fields)
    with pytest.raises(InvalidEntry, match="large"):
        UsageEvent.record(
            event_id=uuid.uuid4(), kind="feature_usage", **{**fields, "details": {"k": "v" * 5000}}
        )
