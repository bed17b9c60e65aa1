"""The behaviour screens' figures against hand-computed expectations (pure functions)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

from services.insights import behavior, progress

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
D = Decimal


def row(day: str, clock: str, amount: str, category: str, merchant: str | None) -> dict[str, Any]:
    """One transaction at a Sofia local time, as the read model answers it (UTC instant)."""
    local = dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SOFIA)
    return {"id": uuid.uuid4(), "amount": D(amount), "category": category, "merchant": merchant,
            "spent_at": local.astimezone(dt.UTC)}  # fmt: skip


def june() -> list[dict[str, Any]]:
    """June 2026 (the 1st is a Monday, the 6th a Saturday)."""
    return behavior.local_rows(
        [
            row("2026-06-01", "12:00", "120.00", "groceries", "Kaufland"),
            row("2026-06-01", "18:00", "30.00", "groceries", "Kaufland"),
            row("2026-06-06", "20:00", "45.50", "dining", "Happy Bar"),
        ],
        SOFIA,
    )


def coffees(n: int) -> list[dict[str, Any]]:
    """``n`` 4.50 coffees at Costa, one a day from 8 June, at 08:30."""
    return behavior.local_rows(
        [row(f"2026-06-{8 + i:02d}", "08:30", "4.50", "coffee", "Costa") for i in range(n)], SOFIA
    )


def test_patterns_per_category_against_earlier_months() -> None:
    earlier = {(2026, 3, "groceries"): D("100.00")}
    found = behavior.patterns(june(), earlier, 12, "2026-06")
    assert list(found["patterns"]) == ["groceries", "dining"]  # largest first
    assert found["dominant_pattern"] == "groceries"
    g = found["patterns"]["groceries"]
    assert (g["average_amount"], g["median_amount"], g["total"]) == (
        D("75.00"),
        D("75.00"),
        D("150.00"),
    )
    assert g["frequency"] == 2
    assert g["trend"] == "increasing"  # 150 against 100 over 12 months
    assert g["seasonality"] == {"3": 0.8, "6": 1.2}  # 100 and 150 against 125
    assert g["day_patterns"]["monday"] == 1.0
    assert g["day_patterns"]["sunday"] == 0.0
    assert g["time_patterns"] == {"night": 0.0, "morning": 0.0, "afternoon": 0.8, "evening": 0.2}
    assert g["merchant_concentration"] == 1.0
    assert g["variability"] == 0.6  # pstdev 45 / mean 75
    assert g["consistency"] == 0.625
    assert found["patterns"]["dining"]["trend"] == "new"
    assert behavior.patterns([], {}, 12, "2026-06")["dominant_pattern"] == "none"


def test_analysis_measures_weekend_and_impulse_habits() -> None:
    calm = behavior.analysis(june(), "2026-06", "EUR")
    assert calm["total_spent"] == D("195.50")
    assert calm["weekend_share"] == 0.2327  # 45.50 of 195.50
    assert calm["impulse_rate"] == 0.0
    assert calm["behavioral_score"] == 1.0
    assert calm["spending_personality"] == "planner"
    assert calm["top_categories"][0] == {"category": "groceries", "amount": D("150.00")}
    assert any("150.00" in s and "Groceries" in s for s in calm["insights"])
    busy = behavior.analysis(june() + coffees(5), "2026-06", "EUR")
    assert busy["impulse_rate"] == 0.625  # 5 of 8 purchases
    assert busy["spending_personality"] == "impulsive spender"
    assert busy["behavioral_score"] == 0.69  # 1 - 0.3125, the weekend share under 2/7
    assert any("22.50" in s for s in busy["insights"])
    assert behavior.analysis([], "2026-06", None)["spending_personality"] == "not enough data"


def test_triggers_name_merchants_and_small_buys_with_figures() -> None:
    found = behavior.triggers(june() + coffees(5), "2026-06", "EUR")["triggers"]
    kinds = {t["type"]: t for t in found}
    assert kinds["merchant"]["trigger_name"] == "Regular visits to Costa"
    assert kinds["merchant"]["frequency"] == "5 times this month"
    assert kinds["impulse"]["amount"] == D("22.50")
    assert kinds["day_of_week"]["trigger_name"] == "Mondays"  # 150 + 4.50 of 218.00
    assert kinds["time_of_day"]["trigger_name"] == "Afternoon purchases"  # 120 of 218
    assert behavior.triggers([], "2026-06", None)["triggers"] == []


def test_weekday_rates_warnings_and_calendar() -> None:
    # 90 days ending 1 June with one 70.00 purchase each Monday in the window (13 Mondays).
    start, end = dt.date(2026, 3, 3), dt.date(2026, 6, 1)
    mondays = [
        start + dt.timedelta(days=i)
        for i in range(90)
        if (start + dt.timedelta(days=i)).weekday() == 0
    ]
    rates = behavior.weekday_rates({0: D("70.00") * len(mondays)}, start, end)
    assert rates[0] == D("70.00")
    assert rates[1] == D("0.00")
    usual = D("10.00")  # 70 / 7
    month = behavior.local_rows([row("2026-06-03", "12:00", "35.00", "dining", None)], SOFIA)
    found = behavior.warnings(
        month, rates, dt.date(2026, 6, 1), dt.date(2026, 6, 24), "2026-06", "EUR"
    )
    assert found["daily_average"] == usual
    over = [w for w in found["warnings"] if w["type"] == "overspent_day"]
    assert [(w["date"], w["severity"], w["amount"]) for w in over] == [
        (dt.date(2026, 6, 3), "high", D("35.00"))
    ]
    ahead = [w["date"] for w in found["warnings"] if w["type"] == "high_risk_day"]
    assert ahead == [dt.date(2026, 6, 29)]  # the only Monday left from the 24th
    cal = behavior.behavior_calendar(2026, 6, rates, month)
    assert len(cal["days"]) == 30
    first = {"date": dt.date(2026, 6, 1), "weekday": "monday", "expected_spending": D("70.00"),
             "spent": D("0.00"), "risk": "high"}  # fmt: skip
    assert cal["days"][0] == first
    assert cal["days"][2]["spent"] == D("35.00")
    assert cal["days"][2]["risk"] == "low"
    assert cal["expected_total"] == D("350.00")  # five Mondays


def test_predictions_risks_and_savings() -> None:
    history = [row(f"2026-06-{d:02d}", "12:00", "30.00", "dining", "Bar") for d in range(1, 31)]
    month = behavior.local_rows(history, SOFIA)
    daily = [{"category": "dining", "date": r["at"].date(), "amount": r["amount"]} for r in month]
    found = progress.predictions(daily, 30, month, D("500.00"), "EUR")
    assert found["next_month_spending"] == D("900.00")
    assert found["next_week_spending"] == D("210.00")
    assert found["savings_potential"] == D("180.00")  # a fifth of 900 dining
    assert found["recommended_budget"] == D("720.00")
    assert found["risk_factors"][0] == {
        "factor": "The forecast 900.00 EUR is above your income of 500.00 EUR",
        "impact": "high",
    }
    assert "900.00" in found["insights"][0]


def test_progress_scores_the_months_and_says_what_improved() -> None:
    april = {"total": D("400.00"), "count": 1, "optional": D("400.00"), "impulse": 0}
    june_sums = {"total": D("200.00"), "count": 1, "optional": D("0"), "impulse": 0}
    sums = {"2026-04": april, "2026-06": june_sums}
    figures = progress.month_figures(sums, ["2026-04", "2026-05", "2026-06"])
    assert [f["total_spent"] for f in figures] == [D("400.00"), D("0.00"), D("200.00")]
    found = progress.progress(figures, D("1000.00"), "EUR")
    metrics = {m["name"]: m for m in found["metrics"]}
    assert metrics["Monthly spending"] == {
        "name": "Monthly spending",
        "value": 200.0,
        "trend": "up",
    }
    assert metrics["Discretionary share"]["trend"] == "up"  # 100 % dining → 0 %
    assert metrics["Savings rate"]["value"] == 80.0
    assert found["overall_score"] == 100
    assert "200.00" in found["progress_message"]
    assert "less" in found["progress_message"]
    assert "Monthly spending improved since 2026-04" in found["improvements"]
    assert (
        progress.progress(progress.month_figures({}, ["2026-06"]), None, None)["overall_score"] == 0
    )


def test_category_insights_and_expense_suggestions() -> None:
    found = progress.category_insights("groceries", "2026-06", june(), D("100.00"), "EUR")
    assert found["total_spent"] == D("150.00")
    assert found["average_spending"] == D("75.00")
    assert found["share_of_spending"] == 0.7673  # 150 of 195.50
    assert found["trend"] == "increasing"
    assert found["goal_alignment"]["alignment_score"] == 0.67
    assert "50% above your usual 100.00 EUR" in found["goal_alignment"]["message"]
    assert found["top_merchants"] == [{"merchant": "Kaufland", "count": 2, "amount": D("150.00")}]
    empty = progress.category_insights("travel", "2026-06", june(), None, "EUR")
    assert empty["frequency"] == 0
    assert empty["average_spending"] == D("0.00")
    rows = [row("2026-06-01", "12:00", a, "groceries", None) for a in ("20.00", "25.00", "30.00")]
    advice = progress.expense_suggestions("groceries", D("80.00"), rows, "EUR")
    assert advice["category_average"] == D("25.00")
    assert advice["is_unusual"] is True
    assert "3.2x" in advice["suggestions"][1]
    assert progress.expense_suggestions("travel", D("80"), rows, "EUR")["is_unusual"] is False
    assert progress.expense_suggestions(None, None, rows, None)["suggested_category"] is None


def test_settings_change_only_what_moved() -> None:
    from contracts.behavior import NOTIFICATION_DEFAULTS
    from services.insights.domain import BehaviorSettings, settings_id

    user = uuid.uuid4()
    at = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    settings = BehaviorSettings.start(user)
    assert settings.id == settings_id(user)
    assert settings.notifications == NOTIFICATION_DEFAULTS
    given = {"pattern_alerts": False, "anomaly_detection": None, "unknown": False}
    assert settings.change("notifications", given, at) is True
    assert settings.notifications["pattern_alerts"] is False
    assert settings.notifications["anomaly_detection"] is True
    (_, event) = settings.collect_events()
    assert event.changes == {"pattern_alerts": False}  # type: ignore[attr-defined]
    assert event.user_id == user  # type: ignore[attr-defined]
    assert settings.change("notifications", {"pattern_alerts": False}, at) is False
    assert settings.change("preferences", {"peer_comparison": True}, at) is True
    assert settings.preferences["peer_comparison"] is True


def test_profile_turns_the_months_habits_into_strengths_and_areas() -> None:
    found = behavior.analysis(june() + coffees(5), "2026-06", "EUR")
    out = progress.profile(found, D("1000.00"), "spenders", "EUR")
    assert out["spending_personality"] == "impulsive spender"
    assert out["strengths"] == out["key_strengths"]
    assert "Weekend spending: 21% of this month's money" in out["strengths"]  # 45.50 of 218.00
    assert "Small impulse purchases: 62% of this month's purchases" in out["improvement_areas"]
    assert "Kept 782.00 EUR of your 1,000.00 EUR income so far" in out["strengths"]
    assert any("Wait a day" in s for s in out["recommended_strategies"])
    empty = progress.profile(behavior.analysis([], "2026-06", None), None, None, None)
    assert empty["strengths"] == []
    assert empty["improvement_areas"] == []


def test_snapshot_rates_the_month_on_the_grade_scale() -> None:
    from services.insights.snapshots import snapshot

    month = {"year": 2026, "month": 6, "income": D("3000.00"), "total_spent": D("2400.00"),
             "savings": D("600.00"), "savings_rate": 0.2, "transaction_count": 12,
             "by_category": [{"category": "groceries", "amount": D("900.00")}]}  # fmt: skip
    found = snapshot(month, 0.5, D("2000.00"), "EUR")
    # saving 1.0 × 0.4 + habits 0.5 × 0.3 + control (2000 / 2400) × 0.3 = 0.8
    assert found["components"] == {"saving": 1.0, "habits": 0.5, "control": 0.8333}
    assert (found["score"], found["rating"], found["risk"]) == (80, "B+", "low")
    assert found["summary"] == (
        "June 2026: 2,400.00 EUR spent of 3,000.00 EUR income, 600.00 EUR left (20%). "
        "Groceries was the largest category at 900.00 EUR. "
        "Spending is above your usual 2,000.00 EUR a month."
    )
    no_income = {**month, "income": None, "savings": None, "savings_rate": None}
    partial = snapshot(no_income, 0.5, None, "EUR")
    assert partial["components"] == {"habits": 0.5}
    assert (partial["score"], partial["rating"], partial["risk"]) == (50, "F", "high")
    empty = {**no_income, "total_spent": D("0"), "transaction_count": 0, "by_category": []}
    assert snapshot(empty, 0.0, None, None)["rating"] == "N/A"


def test_a_snapshot_taken_again_unchanged_records_nothing() -> None:
    from services.insights.domain import MonthSnapshot, snapshot_id

    user = uuid.uuid4()
    taken = MonthSnapshot.open(user, 2026, 6)
    assert taken.id == snapshot_id(user, 2026, 6)
    facts = {"score": 80, "rating": "B+", "risk": "low", "components": {"saving": 1.0},
             "summary": "June", "taken_at": dt.datetime(2026, 6, 5, tzinfo=dt.UTC)}  # fmt: skip
    assert taken.take(**facts) is True
    later = {**facts, "taken_at": dt.datetime(2026, 6, 6, tzinfo=dt.UTC)}
    assert taken.take(**later) is False
    assert taken.take(**{**later, "score": 70, "rating": "C+"}) is True
    assert taken.rating == "C+"
    assert len(taken.collect_events()) == 3
