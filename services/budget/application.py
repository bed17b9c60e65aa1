"""Budget use cases: load, decide with the pure engine, save; each returns the stored position."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.budget.challenges.application import ChallengeCases
from services.budget.domain import BudgetPlan, plan_id, profile_id
from services.budget.engine.adapt import adapt_month
from services.budget.engine.answers import plan_month
from services.budget.engine.categories import SAVINGS
from services.budget.engine.daily import DayPlan, carry_savings, replan_from
from services.budget.engine.modes import MODES, mode_of
from services.budget.engine.money import ZERO
from services.budget.engine.plan import MonthlyPlan, PlanError
from services.budget.engine.redistribution import Move, rebalance_month, redistribute_overspend
from services.budget.engine.status import Status
from services.budget.engine.status import status as day_status
from services.budget.habits.application import HabitCases
from services.budget.profile import BudgetProfile
from shared.store import MitaApplication

Days = Mapping[dt.date, Mapping[str, Decimal]]


@dataclass(frozen=True)
class Onboarded:
    """Result of an onboarding: the plan of the current month, its days and the position."""

    plan: MonthlyPlan
    days: DayPlan
    position: int


@dataclass(frozen=True)
class ModeChosen:
    """Result of a mode change: the mode, whether plans were re-laid out, the position."""

    mode: str
    replanned: bool
    position: int


@dataclass(frozen=True)
class Moved:
    """Result of a redistribution: the moves, their total and the position (0: nothing stored)."""

    moves: tuple[Move, ...]
    total: Decimal
    position: int


def next_month(year: int, month: int) -> tuple[int, int]:
    """The (year, month) after the given one."""
    return (year + 1, 1) if month == 12 else (year, month + 1)


class BudgetApplication(HabitCases, ChallengeCases, MitaApplication):
    """Event store of the budget service, in its own schema."""

    name = "budget"
    service = "budget"

    def _save(self, *aggregates: Any) -> int:
        recordings = self.save(*aggregates)
        return max((r.notification.id for r in recordings), default=self.head_position())

    def month_plan(self, user_id: uuid.UUID, year: int, month: int) -> BudgetPlan | None:
        """A user's plan of one month, if any."""
        try:
            plan: BudgetPlan = self.repository.get(plan_id(user_id, year, month))
        except AggregateNotFoundError:
            return None
        return plan

    def flag_forecast_danger(
        self, user_id: uuid.UUID, year: int, month: int, *, planned: Decimal,
        projected_spend: Decimal, now: dt.datetime | None = None,
    ) -> int:  # fmt: skip
        """Record that the month's pace leads past its plan (once a month); the position."""
        plan = self.month_plan(user_id, year, month)
        moment = now or dt.datetime.now(dt.UTC)
        if plan is None or not plan.raise_danger(
            planned=planned, projected_spend=projected_spend, now=moment
        ):
            return 0
        return self._save(plan)

    def flag_red_day(
        self, user_id: uuid.UUID, day: dt.date, spent: Decimal, now: dt.datetime | None = None
    ) -> int:
        """Record that ``day`` turned red (its spending past its plan, after any cover), once;
        the position."""
        plan = self.month_plan(user_id, day.year, day.month)
        if plan is None:
            return 0
        planned = sum(plan.days.get(day, {}).values(), ZERO)
        if day_status(planned, spent) is not Status.RED:
            return 0
        moment = now or dt.datetime.now(dt.UTC)
        if not plan.mark_red(day=day, planned=planned, spent=spent, now=moment):
            return 0
        return self._save(plan)

    def advise_day(self, user_id: uuid.UUID, day: dt.date, now: dt.datetime) -> int:
        """Give the user's advice for their local ``day`` from its month's plan (planning the
        month first if nobody has), once; the position (0: given already)."""
        self.ensure_month(user_id, day.year, day.month)
        plan = self.month_plan(user_id, day.year, day.month)
        if plan is None or not plan.advise(day=day, now=now):
            return 0
        return self._save(plan)

    def has_month(self, user_id: uuid.UUID, year: int, month: int) -> bool:
        """Whether (year, month) is planned (one indexed row read, no aggregate load)."""
        return bool(self.recorder.select_events(plan_id(user_id, year, month), limit=1))

    def covered(self, user_id: uuid.UUID, transaction_id: uuid.UUID, day: dt.date) -> bool:
        """Whether a real-time cover was stored for the transaction on ``day``'s month plan."""
        plan = self.month_plan(user_id, day.year, day.month)
        return plan is not None and plan.covers(transaction_id)

    def profile(self, user_id: uuid.UUID) -> BudgetProfile | None:
        """A user's onboarding profile, if any."""
        try:
            found: BudgetProfile = self.repository.get(profile_id(user_id))
        except AggregateNotFoundError:
            return None
        return found

    def _replan(
        self,
        user_id: uuid.UUID,
        year: int,
        month: int,
        answers: Mapping[str, Any],
        timezone: str,
        today: dt.date,
        *,
        profile: BudgetProfile | None = None,
        reason: str = "onboarding",
    ) -> tuple[BudgetPlan, MonthlyPlan, DayPlan]:
        mode = mode_of(profile.mode if profile is not None else None)
        weights = profile.wants_weights if profile is not None else None
        ahead = (year, month) > (today.year, today.month)
        plan, fresh = plan_month(
            answers, user_id, year, month, mode=mode, wants_weights=weights,
            reserved=profile.goal_reserve if profile is not None else ZERO,
            payments=profile.installment_payments(year, month, ahead=ahead) if profile else None,
        )  # fmt: skip
        aggregate = self.month_plan(user_id, year, month)
        if aggregate is None:
            aggregate = BudgetPlan.open(user_id, year, month)
        else:
            fresh = replan_from(aggregate.days, fresh, today)
            fresh = carry_savings(fresh, plan.categories[SAVINGS], today)
        aggregate.plan(
            categories=plan.categories,
            days=fresh,
            answers=answers,
            timezone=timezone,
            reason=reason,
            mode=mode.name,
        )
        return aggregate, plan, fresh

    def submit_onboarding(
        self,
        user_id: uuid.UUID,
        answers: Mapping[str, Any],
        timezone: str | None,
        today: dt.date,
        *,
        zone_in_force: str | None = None,
    ) -> Onboarded:
        """Store the answers and (re)plan the current month from ``today`` on and the next one.

        ``timezone`` is the zone the answers named (None: the profile's stays, and only a named
        one joins the user's zone history); ``zone_in_force`` the zone ``today`` was read in
        when none was named.
        """
        in_force = timezone or zone_in_force or "UTC"
        profile = self.profile(user_id) or BudgetProfile.open(user_id)
        current, plan, days = self._replan(
            user_id, today.year, today.month, answers, in_force, today, profile=profile
        )
        upcoming, _, _ = self._replan(
            user_id, *next_month(today.year, today.month), answers, in_force, today, profile=profile
        )
        profile.submit(answers, timezone)
        return Onboarded(plan, days, self._save(profile, current, upcoming))

    def ensure_month(self, user_id: uuid.UUID, year: int, month: int) -> int:
        """Rollover: plan (year, month) from the latest answers if missing; the position or 0."""
        if self.has_month(user_id, year, month):
            return 0
        profile = self.profile(user_id)
        if profile is None or not profile.onboarded:  # a mode may be chosen before onboarding
            return 0
        first = dt.date(year, month, 1)
        aggregate, _, _ = self._replan(
            user_id,
            year,
            month,
            profile.answers,
            profile.timezone,
            first,
            profile=profile,
            reason="rollover",
        )
        try:
            return self._save(aggregate)
        except IntegrityError:  # a concurrent rollover planned it first: one plan either way
            return 0

    def redistribute(
        self,
        user_id: uuid.UUID,
        today: dt.date,
        spent: Days,
        now: dt.datetime | None = None,
    ) -> Moved:
        """Month-level rebalance of ``today``'s month from the spending so far."""
        aggregate = self.month_plan(user_id, today.year, today.month)
        if aggregate is None:
            return Moved((), Decimal("0.00"), 0)
        outcome = rebalance_month(aggregate.days, spent, today=today)
        moved = aggregate.rebalance(
            moves=outcome.moves, total_moved=outcome.total_moved, now=now or dt.datetime.now(dt.UTC)
        )
        position = self._save(aggregate) if moved else 0
        return Moved(outcome.moves, outcome.total_moved, position)

    def adapt(self, user_id: uuid.UUID, today: dt.date, spent: Days, now: dt.datetime) -> Moved:
        """Auto-adapt the rest of ``today``'s month to the pace of spending so far."""
        aggregate = self.month_plan(user_id, today.year, today.month)
        if aggregate is None:
            return Moved((), Decimal("0.00"), 0)
        outcome = adapt_month(aggregate.days, spent, today=today)
        moved = aggregate.rebalance(
            moves=outcome.moves, total_moved=outcome.total_moved, now=now, adapt=True
        )
        position = self._save(aggregate) if moved else 0
        return Moved(outcome.moves, outcome.total_moved, position)

    def choose_mode(
        self,
        user_id: uuid.UUID,
        mode: str,
        wants_weights: Mapping[str, Decimal] | None,
        today: dt.date,
        now: dt.datetime,
    ) -> ModeChosen:
        """Set the budget mode; an onboarded user's month is re-laid out from ``today`` on, and
        the next month too (past days keep their plan)."""
        if mode not in MODES:
            raise PlanError(f"unknown budget mode {mode!r}; one of: {', '.join(MODES)}")
        profile = self.profile(user_id) or BudgetProfile.open(user_id)
        if not profile.choose_mode(mode, wants_weights, now):
            return ModeChosen(mode, False, 0)
        if not profile.onboarded:
            return ModeChosen(mode, False, self._save(profile))
        months = [(today.year, today.month), next_month(today.year, today.month)]
        plans = [
            self._replan(
                user_id, y, m, profile.answers, profile.timezone, today, profile=profile,
                reason="mode",
            )[0]
            for y, m in months
        ]  # fmt: skip
        return ModeChosen(mode, True, self._save(profile, *plans))

    def set_automation(
        self, user_id: uuid.UUID, changes: Mapping[str, bool], now: dt.datetime
    ) -> tuple[dict[str, bool], int]:
        """Change automation switches; the settings as they now stand and the position."""
        profile = self.profile(user_id) or BudgetProfile.open(user_id)
        if not profile.set_automation(changes, now):
            return dict(profile.automation), 0
        return dict(profile.automation), self._save(profile)

    def cover_overspend(
        self,
        user_id: uuid.UUID,
        transaction_id: uuid.UUID,
        *,
        day: dt.date,
        category: str,
        spent: Decimal,
        today: dt.date,
        version: int = 1,
        now: dt.datetime | None = None,
    ) -> Moved:
        """Real-time redistribution after a transaction's event (at ``version``) overspent."""
        aggregate = self.month_plan(user_id, day.year, day.month)
        if aggregate is None:
            return Moved((), Decimal("0.00"), 0)
        profile = self.profile(user_id)
        if profile is not None and not (
            profile.automation["auto_redistribution"] and mode_of(profile.mode).realtime_cover
        ):
            return Moved((), Decimal("0.00"), 0)  # the user turned covers off (or is strict)
        outcome = redistribute_overspend(
            aggregate.days,
            aggregate.original,
            day=day,
            category=category,
            spent=spent,
            today=today,
        )
        stored = aggregate.redistribute(
            transaction_id=transaction_id,
            version=version,
            moves=outcome.moves,
            covered=outcome.covered,
            fully_covered=outcome.fully_covered,
            now=now or dt.datetime.now(dt.UTC),
            notify=profile is None or profile.automation["realtime_alerts"],
        )
        position = self._save(aggregate) if stored else 0
        return Moved(outcome.moves, outcome.covered, position)

    def follow_goal(
        self,
        user_id: uuid.UUID,
        goal_id: uuid.UUID,
        *,
        version: int,
        today: dt.date,
        timezone: str,
        now: dt.datetime,
        amount: Decimal | None = None,
        active: bool | None = None,
    ) -> int:
        """Follow a goal's event: when the active goals' reserve moves, an onboarded user's
        month is re-planned from ``today`` on, and the next month; the position or 0."""
        profile = self.profile(user_id) or BudgetProfile.open(user_id)
        before = profile.goal_reserve
        followed = profile.reserve_goal(
            goal_id, version=version, now=now, amount=amount, active=active
        )
        if not followed:
            return 0
        return self._replan_now(profile, today, timezone, profile.goal_reserve != before, "goals")

    def follow_installment(
        self,
        user_id: uuid.UUID,
        installment_id: uuid.UUID,
        *,
        version: int,
        today: dt.date,
        timezone: str,
        now: dt.datetime,
        terms: Mapping[str, Any] | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> int:
        """Follow an installment's event: its payments are fixed amounts on their due days, so
        an onboarded user's month is re-planned from ``today`` on, and the next month."""
        profile = self.profile(user_id) or BudgetProfile.open(user_id)
        if not profile.follow_installment(
            installment_id, version=version, now=now, terms=terms, changes=changes
        ):
            return 0
        return self._replan_now(profile, today, timezone, True, "installments")

    def _replan_now(
        self, profile: BudgetProfile, today: dt.date, timezone: str, moved: bool, reason: str
    ) -> int:
        """Save the profile; when the plan moved, with this month from ``today`` and the next."""
        if not profile.onboarded or not moved:
            return self._save(profile)
        months = [(today.year, today.month), next_month(today.year, today.month)]
        plans = [
            self._replan(
                profile.user_id, y, m, profile.answers, timezone, today, profile=profile,
                reason=reason,
            )[0]
            for y, m in months
        ]  # fmt: skip
        return self._save(profile, *plans)
