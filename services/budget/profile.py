"""A user's budget profile: onboarding answers, mode, automation and the goals' reserve."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from contracts.installment_plans import amount_of, due_date
from services.budget.domain import AUTOMATION_DEFAULTS, ZERO, profile_id
from shared.envelope import registry


def scheduled(
    terms: Mapping[str, Any], year: int, month: int, *, skip_made: bool
) -> list[tuple[dt.date, Decimal]]:
    """The (day, amount) of an installment's payments due in (year, month)."""
    first = terms["first_payment_date"]
    first = first if isinstance(first, dt.date) else dt.date.fromisoformat(str(first))
    count, made = int(terms["total_payments"]), int(terms["payments_made"])
    total, payment = Decimal(str(terms["total_amount"])), Decimal(str(terms["payment_amount"]))
    out = []
    for number in range(1, count + 1):
        day = due_date(first, str(terms["payment_frequency"]), number)
        if (day.year, day.month) > (year, month):
            break
        if (day.year, day.month) == (year, month) and not (skip_made and number <= made):
            out.append((day, amount_of(total, payment, count, number)))
    return out


class BudgetProfile(Aggregate):
    """A user's onboarding answers; the latest ones plan every new month."""

    class Event(Aggregate.Event):
        """Base of profile events: state changes live in ``BudgetProfile.when``."""

        def apply(self, aggregate: Aggregate) -> None:
            """Let the profile assign what the event says."""
            assert isinstance(aggregate, BudgetProfile)
            aggregate.when(self)

    class ProfileOpened(Aggregate.Created):
        """The user started onboarding (an ``OnboardingSubmitted`` follows in the same save)."""

        user_id: uuid.UUID

    class OnboardingSubmitted(Event):
        """The onboarding answers and the timezone they named (None: the profile's stays)."""

        user_id: uuid.UUID
        answers: dict[str, Any]
        timezone: str | None

    class BudgetModeChanged(Event):
        """The user chose a budget mode (``wants_weights``: learned ones, for behavioral)."""

        user_id: uuid.UUID
        mode: str
        wants_weights: dict[str, Decimal] | None
        at: dt.datetime

    class AutomationSettingsChanged(Event):
        """The automation switches, all of them as they now stand."""

        user_id: uuid.UUID
        settings: dict[str, bool]
        at: dt.datetime

    class GoalReserveChanged(Event):
        """A goal's monthly contribution as the budget reserves it (``active``: counted), from
        the goal's event at ``version``."""

        user_id: uuid.UUID
        goal_id: str
        amount: Decimal
        active: bool
        version: int
        at: dt.datetime

    class InstallmentFollowed(Event):
        """An installment's schedule as the budget plans it (``terms`` None: no longer counted:
        cancelled or deleted), from the installment's event at ``version``."""

        user_id: uuid.UUID
        installment_id: str
        terms: dict[str, Any] | None
        version: int
        at: dt.datetime

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.goals: dict[str, tuple[Decimal, bool, int]] = {}
        self.installments: dict[str, tuple[dict[str, Any] | None, int]] = {}
        self.answers: dict[str, Any] = {}
        self.timezone = "UTC"
        self.mode = "default"
        self.wants_weights: dict[str, Decimal] | None = None
        self.automation: dict[str, bool] = dict(AUTOMATION_DEFAULTS)

    @property
    def onboarded(self) -> bool:
        """Whether onboarding answers exist (a mode may be chosen before)."""
        return bool(self.answers)

    def choose_mode(
        self, mode: str, wants_weights: Mapping[str, Decimal] | None, now: dt.datetime
    ) -> bool:
        """Record a budget mode; whether anything changed."""
        weights = dict(wants_weights) if wants_weights is not None else None
        if (mode, weights) == (self.mode, self.wants_weights):
            return False
        self.trigger_event(
            self.BudgetModeChanged, user_id=self.user_id, mode=mode, wants_weights=weights, at=now
        )
        return True

    def set_automation(self, changes: Mapping[str, bool], now: dt.datetime) -> bool:
        """Change automation switches (unknown names are not settings); whether any changed."""
        merged = {**self.automation, **{k: v for k, v in changes.items() if k in self.automation}}
        if merged == self.automation:
            return False
        self.trigger_event(
            self.AutomationSettingsChanged, user_id=self.user_id, settings=merged, at=now
        )
        return True

    @property
    def goal_reserve(self) -> Decimal:
        """The monthly contributions of the user's active goals, reserved as savings."""
        return sum((amount for amount, active, _ in self.goals.values() if active), ZERO)

    def reserve_goal(
        self,
        goal_id: uuid.UUID,
        *,
        version: int,
        now: dt.datetime,
        amount: Decimal | None = None,
        active: bool | None = None,
    ) -> bool:
        """Follow a goal's event at ``version`` (None: that fact is unchanged); whether the
        reserve of that goal changed. An event already followed (same or older) is a no-op."""
        key = str(goal_id)
        held = self.goals.get(key)
        if held is not None and version <= held[2]:
            return False
        if held is None and active is None:
            return False  # the goal's creation was never seen: nothing to follow
        before = held or (ZERO, False, 0)
        new_amount = before[0] if amount is None else amount
        new_active = before[1] if active is None else active
        if held is not None and (new_amount, new_active) == before[:2]:
            return False
        self.trigger_event(
            self.GoalReserveChanged,
            user_id=self.user_id,
            goal_id=key,
            amount=new_amount,
            active=new_active,
            version=version,
            at=now,
        )
        return True

    def follow_installment(
        self,
        installment_id: uuid.UUID,
        *,
        version: int,
        now: dt.datetime,
        terms: Mapping[str, Any] | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> bool:
        """Follow an installment's event at ``version``: whole ``terms`` (created), ``changes``
        to them (payments made, status), or neither (deleted); whether anything changed. An
        event already followed (same or older) is a no-op."""
        key = str(installment_id)
        held = self.installments.get(key)
        if held is not None and version <= held[1]:
            return False
        if terms is None and changes is None:
            new = None
        elif terms is not None:
            new = dict(terms)
        elif held is None or held[0] is None:
            return False  # the installment's creation was never seen (or it is gone)
        else:
            new = {**held[0], **changes}  # type: ignore[dict-item]
        if new is not None and new.get("status") == "cancelled":
            new = None
        if held is not None and held[0] == new:
            return False
        if held is None and new is None:
            return False
        self.trigger_event(
            self.InstallmentFollowed,
            user_id=self.user_id,
            installment_id=key,
            terms=new,
            version=version,
            at=now,
        )
        return True

    def installment_payments(self, year: int, month: int, *, ahead: bool) -> dict[dt.date, Decimal]:
        """The payments due in (year, month) of the installments counted, per day; ``ahead``
        (a month after the current one) leaves out the payments already made."""
        due: dict[dt.date, Decimal] = {}
        for terms, _ in self.installments.values():
            if terms is None:
                continue
            for day, amount in scheduled(terms, year, month, skip_made=ahead):
                due[day] = due.get(day, ZERO) + amount
        return due

    @classmethod
    def open(cls, user_id: uuid.UUID) -> BudgetProfile:
        """Decide a new profile."""
        return cls._create(cls.ProfileOpened, id=profile_id(user_id), user_id=user_id)

    def submit(self, answers: Mapping[str, Any], timezone: str | None) -> None:
        """Record onboarding answers (``timezone``: the one they named, if any)."""
        self.trigger_event(
            self.OnboardingSubmitted, user_id=self.user_id, answers=dict(answers), timezone=timezone
        )

    def when(self, event: Aggregate.Event) -> None:
        """Assign what a profile event says."""
        if isinstance(event, BudgetProfile.OnboardingSubmitted):
            self.answers = dict(event.answers)
            self.timezone = event.timezone or self.timezone
        elif isinstance(event, BudgetProfile.BudgetModeChanged):
            self.mode = event.mode
            self.wants_weights = (
                {c: Decimal(str(w)) for c, w in event.wants_weights.items()}
                if event.wants_weights is not None
                else None
            )
        elif isinstance(event, BudgetProfile.AutomationSettingsChanged):
            self.automation = {**AUTOMATION_DEFAULTS, **event.settings}
        elif isinstance(event, BudgetProfile.InstallmentFollowed):
            self.installments = self.installments | {
                event.installment_id: (
                    dict(event.terms) if event.terms is not None else None,
                    event.version,
                )
            }
        elif isinstance(event, BudgetProfile.GoalReserveChanged):
            self.goals = self.goals | {
                event.goal_id: (Decimal(str(event.amount)), event.active, event.version)
            }


registry.register_aggregate("budget", BudgetProfile, short_names=True)
