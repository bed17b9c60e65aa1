"""Budget domain: one plan per (user, month) and one onboarding profile per user (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from eventsourcing.domain import Aggregate

from services.budget.engine.daily import DayPlan
from services.budget.engine.redistribution import Move
from shared.envelope import registry

ZERO = Decimal("0.00")

#: The budget settings screen's switches and what each drives (README, budget service):
#: auto_redistribution — real-time covers after an overspend; realtime_alerts — a notification
#: per cover; smart_suggestions — GET /budget/suggestions; behavioral_learning — learned wants
#: weights (behavioral mode, behavioral_allocation).
AUTOMATION_DEFAULTS: Mapping[str, bool] = MappingProxyType(
    {
        "auto_redistribution": True,
        "smart_suggestions": True,
        "behavioral_learning": True,
        "realtime_alerts": True,
    }
)
BUDGET_NAMESPACE = uuid.UUID("9c1d6a0e-5b2f-4f7a-8e43-2d6b1f0c7a55")
Layout = dict[str, dict[str, Decimal]]


def plan_id(user_id: uuid.UUID, year: int, month: int) -> uuid.UUID:
    """Derived id of a user's plan for one month."""
    return uuid.uuid5(BUDGET_NAMESPACE, f"plan:{user_id}:{year:04d}-{month:02d}")


def profile_id(user_id: uuid.UUID) -> uuid.UUID:
    """Derived id of a user's onboarding profile."""
    return uuid.uuid5(BUDGET_NAMESPACE, f"profile:{user_id}")


def to_layout(days: Mapping[dt.date, Mapping[str, Decimal]]) -> Layout:
    """A day plan with ISO date keys (how events carry it)."""
    return {day.isoformat(): dict(amounts) for day, amounts in sorted(days.items())}


def from_layout(layout: Mapping[str, Mapping[str, Any]]) -> DayPlan:
    """A day plan from ISO date keys and exact amounts."""
    return {
        dt.date.fromisoformat(day): {c: Decimal(str(a)) for c, a in amounts.items()}
        for day, amounts in layout.items()
    }


def move_payload(moves: Iterable[Move]) -> list[dict[str, Any]]:
    """Moves as events carry them (ISO dates, Decimal amounts)."""
    return [
        {
            "from_category": m.from_category,
            "from_date": m.from_date.isoformat(),
            "to_category": m.to_category,
            "to_date": m.to_date.isoformat(),
            "amount": m.amount,
        }
        for m in moves
    ]


def apply_moves(days: DayPlan, moves: Iterable[Mapping[str, Any]]) -> None:
    """Shift planned money along moves, in place."""
    for move in moves:
        amount = Decimal(str(move["amount"]))
        source = days.setdefault(dt.date.fromisoformat(str(move["from_date"])), {})
        source[move["from_category"]] = source.get(move["from_category"], Decimal(0)) - amount
        target = days.setdefault(dt.date.fromisoformat(str(move["to_date"])), {})
        target[move["to_category"]] = target.get(move["to_category"], Decimal(0)) + amount


class BudgetPlan(Aggregate):
    """A user's plan for one month: category amounts and their layout over the days."""

    class Event(Aggregate.Event):
        """Base of plan events: state changes live in ``BudgetPlan.when``."""

        def apply(self, aggregate: Aggregate) -> None:
            """Let the plan assign what the event says."""
            assert isinstance(aggregate, BudgetPlan)
            aggregate.when(self)

    class PlanOpened(Aggregate.Created):
        """The month's plan exists (a ``BudgetPlanned`` follows in the same save)."""

        user_id: uuid.UUID
        year: int
        month: int

    class BudgetPlanned(Event):
        """The month was (re)planned: every category amount and the whole day layout.

        v2 says why (``reason``: onboarding, rollover, mode, goals, installments) and under
        which budget mode.
        """

        class_version = 2
        user_id: uuid.UUID
        year: int
        month: int
        categories: dict[str, Decimal]
        days: dict[str, dict[str, Decimal]]
        answers: dict[str, Any]
        timezone: str
        reason: str
        mode: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 plans came from onboarding answers under the default mode."""
            state.update(reason="onboarding", mode="default")

    class BudgetRedistributed(Event):
        """An overspent day-category was covered out of future days of other categories."""

        class_version = 3
        user_id: uuid.UUID
        trigger_transaction_id: uuid.UUID
        #: The triggering event is (transaction, its version): a record, or an amendment.
        trigger_version: int
        moves: list[dict[str, Any]]
        covered: Decimal
        fully_covered: bool
        at: dt.datetime
        #: Whether the user asked to be told (automation setting ``realtime_alerts``).
        notify: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 covered recordings only (one cover per transaction)."""
            state["trigger_version"] = 1

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Before the setting existed every cover was announced."""
            state["notify"] = True

    class MonthRebalanced(Event):
        """Past surpluses were moved to past deficits, on future days."""

        user_id: uuid.UUID
        moves: list[dict[str, Any]]
        total_moved: Decimal
        at: dt.datetime

    class BudgetAdapted(Event):
        """The rest of the month was re-weighted by the pace of spending (auto-adapt)."""

        user_id: uuid.UUID
        moves: list[dict[str, Any]]
        total_moved: Decimal
        at: dt.datetime

    class ForecastDangerRaised(Event):
        """At the month's pace its spending passes the plan by 10 % or more (said once)."""

        user_id: uuid.UUID
        planned: Decimal
        projected_spend: Decimal
        at: dt.datetime

    class DayTurnedRed(Event):
        """The day's spending went past its plan beyond the tolerance (said once a day)."""

        user_id: uuid.UUID
        day: dt.date
        planned: Decimal
        spent: Decimal
        at: dt.datetime

    class DailyAdviceGiven(Event):
        """The morning's advice for ``day``: what the plan allows, and where most of it goes."""

        user_id: uuid.UUID
        day: dt.date
        planned: Decimal
        top_category: str | None
        top_amount: Decimal
        at: dt.datetime

    def __init__(self, user_id: uuid.UUID, year: int, month: int) -> None:
        self.user_id = user_id
        self.year = year
        self.month = month
        self.danger_raised = False
        self.red_days: set[dt.date] = set()
        self.advised_days: set[dt.date] = set()
        self.categories: dict[str, Decimal] = {}
        self.days: DayPlan = {}
        self.original: DayPlan = {}
        self.timezone = "UTC"
        self.triggers: set[tuple[uuid.UUID, int]] = set()

    @classmethod
    def open(cls, user_id: uuid.UUID, year: int, month: int) -> BudgetPlan:
        """Decide a new (still empty) month plan."""
        return cls._create(
            cls.PlanOpened,
            id=plan_id(user_id, year, month),
            user_id=user_id,
            year=year,
            month=month,
        )

    def plan(
        self,
        *,
        categories: Mapping[str, Decimal],
        days: Mapping[dt.date, Mapping[str, Decimal]],
        answers: Mapping[str, Any],
        timezone: str,
        reason: str = "onboarding",
        mode: str = "default",
    ) -> None:
        """Lay out the month (the whole layout, past days included)."""
        self.trigger_event(
            self.BudgetPlanned,
            user_id=self.user_id,
            year=self.year,
            month=self.month,
            categories=dict(categories),
            days=to_layout(days),
            answers=dict(answers),
            timezone=timezone,
            reason=reason,
            mode=mode,
        )

    def covers(self, transaction_id: uuid.UUID) -> bool:
        """Whether any event of the transaction triggered a cover."""
        return any(tx == transaction_id for tx, _ in self.triggers)

    def redistribute(
        self,
        *,
        transaction_id: uuid.UUID,
        version: int,
        moves: Iterable[Move],
        covered: Decimal,
        fully_covered: bool,
        now: dt.datetime,
        notify: bool = True,
    ) -> bool:
        """Record a real-time cover (once per triggering event); return whether it did."""
        payload = move_payload(moves)
        if (transaction_id, version) in self.triggers or not payload:
            return False
        self.trigger_event(
            self.BudgetRedistributed,
            user_id=self.user_id,
            trigger_transaction_id=transaction_id,
            trigger_version=version,
            moves=payload,
            covered=covered,
            fully_covered=fully_covered,
            at=now,
            notify=notify,
        )
        return True

    def rebalance(
        self, *, moves: Iterable[Move], total_moved: Decimal, now: dt.datetime, adapt: bool = False
    ) -> bool:
        """Record a month-level rebalance (``adapt``: an auto-adaptation); whether anything
        moved."""
        payload = move_payload(moves)
        if not payload:
            return False
        self.trigger_event(
            self.BudgetAdapted if adapt else self.MonthRebalanced,
            user_id=self.user_id,
            moves=payload,
            total_moved=total_moved,
            at=now,
        )
        return True

    def raise_danger(self, *, planned: Decimal, projected_spend: Decimal, now: dt.datetime) -> bool:
        """Say once a month that the pace leads past the plan; whether this was the first."""
        if self.danger_raised:
            return False
        self.trigger_event(self.ForecastDangerRaised, user_id=self.user_id, planned=planned,
                           projected_spend=projected_spend, at=now)  # fmt: skip
        return True

    def mark_red(self, *, day: dt.date, planned: Decimal, spent: Decimal, now: dt.datetime) -> bool:
        """Say once that ``day`` turned red; whether this was the first time."""
        if day in self.red_days:
            return False
        self.trigger_event(self.DayTurnedRed, user_id=self.user_id, day=day, planned=planned,
                           spent=spent, at=now)  # fmt: skip
        return True

    def advise(self, *, day: dt.date, now: dt.datetime) -> bool:
        """Give ``day``'s advice from its plan, once; whether this was the first time."""
        if day in self.advised_days:
            return False
        planned_today = self.days.get(day, {})
        planned = sum(planned_today.values(), Decimal(0))
        top = max(sorted(planned_today), key=lambda c: planned_today[c], default=None)
        self.trigger_event(
            self.DailyAdviceGiven, user_id=self.user_id, day=day, planned=planned,
            top_category=top, top_amount=planned_today.get(top, Decimal(0)) if top else Decimal(0),
            at=now,
        )  # fmt: skip
        return True

    def when(self, event: Aggregate.Event) -> None:
        """Assign what a plan event says."""
        if isinstance(event, BudgetPlan.BudgetPlanned):
            self.categories = {c: Decimal(str(a)) for c, a in event.categories.items()}
            self.days = from_layout(event.days)
            self.original = from_layout(event.days)
            self.timezone = event.timezone
        elif isinstance(event, BudgetPlan.BudgetRedistributed):
            apply_moves(self.days, event.moves)
            self.triggers.add((event.trigger_transaction_id, event.trigger_version))
        elif isinstance(event, BudgetPlan.MonthRebalanced | BudgetPlan.BudgetAdapted):
            apply_moves(self.days, event.moves)
        elif isinstance(event, BudgetPlan.ForecastDangerRaised):
            self.danger_raised = True
        elif isinstance(event, BudgetPlan.DayTurnedRed):
            self.red_days.add(event.day)
        elif isinstance(event, BudgetPlan.DailyAdviceGiven):
            self.advised_days.add(event.day)


registry.register_aggregate("budget", BudgetPlan, short_names=True)
