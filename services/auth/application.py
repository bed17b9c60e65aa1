"""Write model of the auth service (its aggregates arrive with their issue)."""

from __future__ import annotations

from shared.store import MitaApplication


class AuthApplication(MitaApplication):
    """Event store of the auth service, in its own schema."""

    name = "auth"
    service = "auth"
