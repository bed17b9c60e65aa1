"""The budget's process managers share this: a policy deciding through the budget's own write
model (``shared.policy.ApplicationPolicy``)."""

from __future__ import annotations

from typing import ClassVar

from services.budget.application import BudgetApplication
from shared.policy import ApplicationPolicy
from shared.store import MitaApplication


class BudgetPolicy(ApplicationPolicy[BudgetApplication]):
    """A policy whose commands go to the budget's write model."""

    service: ClassVar[str] = "budget"
    application_class: ClassVar[type[MitaApplication]] = BudgetApplication
