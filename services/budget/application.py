"""Write model of the budget service (its aggregates arrive with their issue)."""

from __future__ import annotations

from shared.store import MitaApplication


class BudgetApplication(MitaApplication):
    """Event store of the budget service, in its own schema."""

    name = "budget"
    service = "budget"
