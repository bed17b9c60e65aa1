"""What published events tell the user, and when a push may go out (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from contracts.budget import (
    BUDGET_REDISTRIBUTED,
    DAILY_ADVICE_GIVEN,
    DAY_TURNED_RED,
    FORECAST_DANGER_RAISED,
    adjustment_message,
    category_label,
)
from contracts.challenges import CHALLENGE_COMPLETED
from contracts.goals import GOAL_COMPLETED
from contracts.ocr import RECEIPT_FAILED, RECEIPT_PROCESSED
from services.notifications.rules import drafts, push_refusal, quiet, wanted
from shared.envelope import EventEnvelope


def test_the_spec_example() -> None:
    """One donor: the receiver first with +, the donor with a real minus sign."""
    moves = [
        {"from_category": "entertainment", "from_date": "2026-11-28", "to_category": "food",
         "to_date": "2026-11-27", "amount": "10.00"},
    ]  # fmt: skip
    assert adjustment_message(moves) == "Budget adjusted: Food +10.00, Entertainment \u221210.00"


def test_moves_are_summed_per_category_in_donor_order() -> None:
    """Several days of several donors add up per category; exact cents, priority order kept."""
    moves = [
        {"from_category": "entertainment", "to_category": "food", "amount": "3.33"},
        {"from_category": "entertainment", "to_category": "food", "amount": "1.05"},
        {"from_category": "personal_care", "to_category": "food", "amount": "0.60"},
    ]
    assert adjustment_message(moves) == (
        "Budget adjusted: Food +4.98, Entertainment \u22124.38, Personal care \u22120.60"
    )
    assert category_label("clothing") == "Clothing"


def event(kind: str, **payload: Any) -> EventEnvelope:
    """A published event of ``kind``."""
    return EventEnvelope(
        event_id=uuid.uuid4(), type=kind, schema_version=1, service=kind.split(".")[0],
        aggregate_id=uuid.uuid4(), aggregate_version=2, occurred_at=dt.datetime.now(dt.UTC),
        position=1, payload={"user_id": str(uuid.uuid4()), **payload},
    )  # fmt: skip


def test_a_cover_the_user_asked_to_hear_of_and_a_day_that_turned_red() -> None:
    moves = [{"from_category": "shopping", "to_category": "food", "amount": "5.00"}]
    told = drafts(event(BUDGET_REDISTRIBUTED, moves=moves, notify=True, fully_covered=False,
                        trigger_transaction_id=str(uuid.uuid4())))  # fmt: skip
    assert [(d.title, d.kind, d.priority) for d in told] == [("Budget adjusted", "info", "medium")]
    assert told[0].message == "Budget adjusted: Food +5.00, Shopping \u22125.00"
    silent = drafts(event(BUDGET_REDISTRIBUTED, moves=moves, notify=False, fully_covered=True,
                          trigger_transaction_id=str(uuid.uuid4())))  # fmt: skip
    assert silent == []
    [red] = drafts(event(DAY_TURNED_RED, day="2026-12-03", planned="40.00", spent="1234.50"))
    assert (red.title, red.kind, red.priority) == ("Over budget", "warning", "high")
    assert red.message == "You spent 1,234.50 of the 40.00 planned for 2026-12-03."


def test_the_morning_advice() -> None:
    [advice] = drafts(event(DAILY_ADVICE_GIVEN, day="2026-12-04", planned="1234.5",
                            top_category="food", top_amount="40.25"))  # fmt: skip
    assert (advice.title, advice.kind, advice.preference) == (
        "Today's budget", "info", "daily_reminders",
    )  # fmt: skip
    assert advice.message == "Today you can spend 1,234.50; the most of it, 40.25, is for food."
    assert advice.data == {"day": "2026-12-04", "planned": "1234.5"}
    [empty] = drafts(event(DAILY_ADVICE_GIVEN, day="2026-12-04", planned="0",
                           top_category=None, top_amount="0"))  # fmt: skip
    assert empty.message == "Nothing is planned for today: a good day for no spending."


def test_goals_and_receipts() -> None:
    assert [d.title for d in drafts(event(GOAL_COMPLETED, automatic=True))] == ["Goal reached"]
    read = drafts(event(RECEIPT_PROCESSED, reading={"merchant": "Lidl", "total": "12.30",
                                                    "currency": "EUR"}))  # fmt: skip
    assert read[0].message == "Your receipt was read: Lidl 12.30 EUR."
    assert drafts(event(RECEIPT_PROCESSED, reading={}))[0].message == "Your receipt was read."
    failed = drafts(event(RECEIPT_FAILED, reason="The photo is too dark."))
    assert (failed[0].title, failed[0].message) == ("Receipt not read", "The photo is too dark.")
    assert drafts(event("ledger.TransactionRecorded")) == []


def test_a_month_at_risk_and_a_challenge_completed() -> None:
    [risk] = drafts(event(FORECAST_DANGER_RAISED, planned="3000.00", projected_spend="4120.50"))
    assert (risk.title, risk.kind, risk.preference) == (
        "Budget at risk",
        "warning",
        "budget_alerts",
    )
    assert (
        risk.message == "At this pace you will spend 4,120.50 of the 3,000.00 planned this month."
    )
    [won] = drafts(event(CHALLENGE_COMPLETED, challenge_id="no_coffee_14",
                         name="No-Coffee Fortnight", points=250))  # fmt: skip
    assert won.message == "You completed No-Coffee Fortnight and earned 250 points."
    assert won.preference == "achievement_notifications"


def test_kinds_can_be_turned_off_and_the_master_switch_wins() -> None:
    assert wanted({}, "goal_updates")
    assert not wanted({"goal_updates": False}, "goal_updates")
    assert not wanted({"notifications_enabled": False}, "budget_alerts")


@pytest.mark.parametrize(
    ("start", "end", "clock", "silent"),
    [("22:00", "07:00", "23:30", True), ("22:00", "07:00", "06:59", True),
     ("22:00", "07:00", "07:00", False), ("22:00", "07:00", "12:00", False),
     ("09:00", "17:00", "12:00", True), ("09:00", "17:00", "17:00", False),
     ("08:00", "08:00", "08:00", False)],
)  # fmt: skip
def test_quiet_hours_may_span_midnight(start: str, end: str, clock: str, silent: bool) -> None:
    hour, minute = map(int, clock.split(":"))
    local = dt.datetime(2026, 12, 3, hour, minute)
    chosen = {"quiet_hours_enabled": True, "quiet_hours_start": start, "quiet_hours_end": end}
    assert quiet(chosen, local) is silent
    assert quiet({**chosen, "quiet_hours_enabled": False}, local) is False


def test_why_no_push_goes_out() -> None:
    noon = dt.datetime(2026, 12, 3, 12, 0)
    assert push_refusal({}, noon) is None
    assert push_refusal({"push_enabled": False}, noon) == "push_disabled"
    assert push_refusal({"notifications_enabled": False}, noon) == "push_disabled"
    night = {"quiet_hours_enabled": True, "quiet_hours_start": "11:00", "quiet_hours_end": "13:00"}
    assert push_refusal(night, noon) == "quiet_hours"
