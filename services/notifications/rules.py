"""What each published event tells the user, and whether a push may go out (no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from contracts.budget import (
    ADJUSTED,
    BUDGET_REDISTRIBUTED,
    DAILY_ADVICE_GIVEN,
    DAY_TURNED_RED,
    FORECAST_DANGER_RAISED,
    adjustment_message,
)
from contracts.challenges import CHALLENGE_COMPLETED
from contracts.goals import GOAL_COMPLETED
from contracts.ocr import RECEIPT_FAILED, RECEIPT_PROCESSED
from shared.envelope import EventEnvelope

DEFAULTS: dict[str, Any] = {
    "notifications_enabled": True, "push_enabled": True, "email_enabled": True,
    "budget_alerts": True, "goal_updates": True, "daily_reminders": True,
    "ai_recommendations": True, "transaction_alerts": True, "achievement_notifications": True,
    "quiet_hours_enabled": False, "quiet_hours_start": "22:00", "quiet_hours_end": "07:00",
}  # fmt: skip
#: The events that raise notifications.
SOURCES = frozenset(
    {BUDGET_REDISTRIBUTED, DAY_TURNED_RED, FORECAST_DANGER_RAISED, CHALLENGE_COMPLETED,
     DAILY_ADVICE_GIVEN,
     GOAL_COMPLETED,
     RECEIPT_PROCESSED, RECEIPT_FAILED}
)  # fmt: skip


@dataclass(frozen=True)
class Draft:
    """A notification to raise: its kind (the app's ``type``), text and the preference that
    lets it through."""

    kind: str
    title: str
    message: str
    priority: str
    category: str
    preference: str
    data: dict[str, Any] = field(default_factory=dict)
    action_url: str | None = None


def drafts(event: EventEnvelope) -> list[Draft]:
    """What ``event`` tells its user (nothing for events that raise no notification)."""
    p = event.payload
    if event.type == BUDGET_REDISTRIBUTED:
        out = []
        if p.get("notify", True) and p.get("moves"):
            out.append(Draft("info", ADJUSTED, adjustment_message(p["moves"]), "medium",
                             "budget", "budget_alerts",
                             {"transaction_id": str(p["trigger_transaction_id"])},
                             "/calendar"))  # fmt: skip
        return out
    if event.type == DAY_TURNED_RED:
        spent, planned = Decimal(str(p["spent"])), Decimal(str(p["planned"]))
        text = f"You spent {spent:,.2f} of the {planned:,.2f} planned for {p['day']}."
        return [Draft("warning", "Over budget", text, "high", "budget", "budget_alerts",
                      {"day": str(p["day"])}, "/calendar")]  # fmt: skip
    if event.type == DAILY_ADVICE_GIVEN:
        return [daily_advice(p)]
    if event.type == FORECAST_DANGER_RAISED:
        projected, planned = Decimal(str(p["projected_spend"])), Decimal(str(p["planned"]))
        text = (f"At this pace you will spend {projected:,.2f} of the {planned:,.2f} "
                "planned this month.")  # fmt: skip
        return [Draft("warning", "Budget at risk", text, "high", "budget", "budget_alerts",
                      {"planned": str(planned), "projected_spend": str(projected)},
                      "/budget")]  # fmt: skip
    if event.type == CHALLENGE_COMPLETED:
        text = f"You completed {p['name']} and earned {p['points']} points."
        return [Draft("achievement", "Challenge completed", text, "medium", "achievement",
                      "achievement_notifications", {"challenge_id": str(p["challenge_id"])},
                      "/challenges")]  # fmt: skip
    if event.type == GOAL_COMPLETED:
        return [Draft("achievement", "Goal reached", "You reached one of your savings goals.",
                      "medium", "goal", "goal_updates", {"goal_id": str(event.aggregate_id)},
                      "/goals")]  # fmt: skip
    if event.type == RECEIPT_PROCESSED:
        reading = p.get("reading") or {}
        what = " ".join(str(x) for x in (reading.get("merchant"), reading.get("total"),
                                         reading.get("currency")) if x)  # fmt: skip
        text = f"Your receipt was read: {what}." if what else "Your receipt was read."
        return [Draft("info", "Receipt read", text, "low", "transaction", "transaction_alerts",
                      {"receipt_id": str(event.aggregate_id)})]  # fmt: skip
    if event.type == RECEIPT_FAILED:
        return [Draft("alert", "Receipt not read", str(p.get("reason") or "It could not be read."),
                      "medium", "transaction", "transaction_alerts",
                      {"receipt_id": str(event.aggregate_id)})]  # fmt: skip
    return []


def wanted(preferences: dict[str, Any], preference: str) -> bool:
    """Whether the user wants notifications of this kind at all."""
    values = {**DEFAULTS, **preferences}
    return bool(values["notifications_enabled"] and values.get(preference, True))


def _clock(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def quiet(preferences: dict[str, Any], local: dt.datetime) -> bool:
    """Whether ``local`` (the user's wall clock) falls in their quiet hours (which may span
    midnight: 22:00-07:00)."""
    values = {**DEFAULTS, **preferences}
    if not values["quiet_hours_enabled"]:
        return False
    start, end, now = _clock(values["quiet_hours_start"]), _clock(values["quiet_hours_end"]), (
        local.time().replace(tzinfo=None)
    )  # fmt: skip
    if start == end:
        return False
    return start <= now < end if start < end else now >= start or now < end


def push_refusal(preferences: dict[str, Any], local: dt.datetime) -> str | None:
    """Why no push may go out now (None: it may)."""
    values = {**DEFAULTS, **preferences}
    if not values["notifications_enabled"] or not values["push_enabled"]:
        return "push_disabled"
    return "quiet_hours" if quiet(values, local) else None


def daily_advice(p: dict[str, Any]) -> Draft:
    """The morning's message: what today's plan allows and where most of it goes."""
    planned, top = Decimal(str(p["planned"])), p.get("top_category")
    if planned <= 0 or not top:
        text = "Nothing is planned for today: a good day for no spending."
    else:
        share = Decimal(str(p["top_amount"]))
        text = (f"Today you can spend {planned:,.2f}; the most of it, {share:,.2f}, "
                f"is for {str(top).replace('_', ' ')}.")  # fmt: skip
    return Draft("info", "Today's budget", text, "low", "budget", "daily_reminders",
                 {"day": str(p["day"]), "planned": str(planned)}, "/calendar")  # fmt: skip
