"""Write model of the insights service (its aggregates arrive with their issue)."""

from __future__ import annotations

from shared.store import MitaApplication


class InsightsApplication(MitaApplication):
    """Event store of the insights service, in its own schema."""

    name = "insights"
    service = "insights"
