"""How the budget service runs (see ``shared.bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap, ConsumerSpec, JobSpec
from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.projections import Consumer
    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The budget HTTP app."""
    from services.budget.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The budget write model."""
    from services.budget.application import BudgetApplication

    return BudgetApplication


def days(settings: MitaSettings) -> Consumer:
    """``budget_days``: planned and spent per user-local day and category."""
    from services.budget.read.projections import BudgetDaysProjection

    return BudgetDaysProjection(settings.schema_for("budget"))


def redistribution(settings: MitaSettings) -> Consumer:
    """``budget_redistribution``: the real-time cover policy (and rollover on write)."""
    from services.budget.process.policy import RedistributionPolicy

    return RedistributionPolicy.from_settings(settings)


def commitments(settings: MitaSettings) -> Consumer:
    """``budget_commitments``: goals' contributions and installment payments in the plan."""
    from services.budget.process.commitments import CommitmentsPolicy

    return CommitmentsPolicy.from_settings(settings)


def habits(settings: MitaSettings) -> Consumer:
    """``budget_habits``: the habits and the days they were done on."""
    from services.budget.habits.projections import HabitsProjection

    return HabitsProjection(settings.schema_for("budget"))


def challenges(settings: MitaSettings) -> Consumer:
    """``budget_challenges``: the attempts at challenges and the participants' names."""
    from services.budget.challenges.projections import ChallengesProjection

    return ChallengesProjection(settings.schema_for("budget"))


async def rollover(settings: MitaSettings) -> str:
    """Plan every onboarded user's current local month that is not planned yet."""
    from services.budget.rollover import roll_over

    return f"planned {await roll_over(settings)} month(s)"


async def daily_advice(settings: MitaSettings) -> str:
    """Give the morning's advice to the users whose local morning it is."""
    from services.budget.rollover import advise

    return f"advised {await advise(settings)} user(s)"


async def settle_challenges(settings: MitaSettings) -> str:
    """Record the challenge attempts measured completed."""
    from services.budget.challenges.settle import settle

    return f"recorded {await settle(settings)} completed challenge(s)"


def register_events() -> None:
    """Declare the budget's event types."""
    # Importing the domain modules registers their events.
    import services.budget.challenges.domain
    import services.budget.domain
    import services.budget.habits.domain
    import services.budget.profile  # noqa: F401


BOOTSTRAP = Bootstrap(
    "budget",
    create_app,
    application,
    (
        ConsumerSpec("budget_days", "budget", days),
        ConsumerSpec("budget_redistribution", "budget", redistribution),
        ConsumerSpec("budget_commitments", "budget", commitments),
        ConsumerSpec("budget_habits", "budget", habits),
        ConsumerSpec("budget_challenges", "budget", challenges),
    ),
    register_events,
    (
        # Hourly: some user's local midnight passes every hour (time zones are whole or half
        # hours apart); a month already planned costs one read.
        JobSpec("budget_rollover", 3600, rollover),
        JobSpec("challenges_settle", 3600, settle_challenges),
        # Every 15 minutes: a user's local morning starts on a quarter hour in every zone.
        JobSpec("daily_advice", 900, daily_advice),
    ),
)
