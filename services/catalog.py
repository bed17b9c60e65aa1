"""What runs where: services with event stores, and every projection with its owner."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from shared.projections import Consumer
from shared.settings import MitaSettings
from shared.store import MitaApplication

# Services that keep an event store (and so get a relay); the gateway keeps none.
STORE_SERVICES: tuple[str, ...] = ("auth", "ledger", "budget", "ocr", "insights")


@dataclass(frozen=True)
class ProjectionSpec:
    """A projection and the service whose schema holds its read model."""

    name: str
    owner: str
    path: str

    def build(self, settings: MitaSettings) -> Consumer:
        """Instantiate the projection in its owner's schema."""
        module, _, attr = self.path.partition(":")
        cls: type[Consumer] = getattr(importlib.import_module(module), attr)
        factory = getattr(cls, "from_settings", None)
        if factory is not None:  # policies also write: they need the store's address
            built: Consumer = factory(settings)
            return built
        return cls(settings.schema_for(self.owner))


PROJECTIONS: dict[str, ProjectionSpec] = {
    spec.name: spec
    for spec in (
        ProjectionSpec("auth_users", "auth", "services.auth.projections:UsersProjection"),
        ProjectionSpec(
            "ledger_transactions", "ledger", "services.ledger.projections:TransactionsProjection"
        ),
        ProjectionSpec("ledger_users", "ledger", "services.ledger.projections:UsersProjection"),
        ProjectionSpec("budget_days", "budget", "services.budget.projections:BudgetDaysProjection"),
        ProjectionSpec(
            "budget_redistribution", "budget", "services.budget.policy:RedistributionPolicy"
        ),
        ProjectionSpec(
            "budget_notifications",
            "budget",
            "services.budget.notifications:NotificationsProjection",
        ),
    )
}


def application_class(service: str) -> type[MitaApplication]:
    """The write-model class of a service with a store."""
    module = importlib.import_module(f"services.{service}.application")
    cls: type[MitaApplication] = getattr(module, f"{service.capitalize()}Application")
    return cls


def load_event_types() -> None:
    """Import every domain module so the event registry is complete."""
    for service in STORE_SERVICES:
        try:
            importlib.import_module(f"services.{service}.domain")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{service}.domain":
                raise


def projections_of(owner: str) -> list[ProjectionSpec]:
    """Projections whose read models live in ``owner``'s schema."""
    return [p for p in PROJECTIONS.values() if p.owner == owner]
