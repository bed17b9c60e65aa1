"""What runs where: every service's bootstrap, the stores and the consumers they declare."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.auth.bootstrap import BOOTSTRAP as AUTH
from services.budget.bootstrap import BOOTSTRAP as BUDGET
from services.gateway.bootstrap import BOOTSTRAP as GATEWAY
from services.insights.bootstrap import BOOTSTRAP as INSIGHTS
from services.ledger.bootstrap import BOOTSTRAP as LEDGER
from services.notifications.bootstrap import BOOTSTRAP as NOTIFICATIONS
from services.ocr.bootstrap import BOOTSTRAP as OCR
from services.ops.bootstrap import BOOTSTRAP as OPS
from shared.bootstrap import Bootstrap, ConsumerSpec, JobSpec

if TYPE_CHECKING:
    from shared.store import MitaApplication

#: Every service, the gateway first; importing a bootstrap loads none of its service's code.
BOOTSTRAPS: tuple[Bootstrap, ...] = (
    GATEWAY, AUTH, LEDGER, BUDGET, OCR, INSIGHTS, NOTIFICATIONS, OPS,
)  # fmt: skip
BY_SERVICE = {b.service: b for b in BOOTSTRAPS}
# Services that keep an event store (and so get a relay); the gateway keeps none.
STORE_SERVICES: tuple[str, ...] = tuple(b.service for b in BOOTSTRAPS if b.application)
PROJECTIONS: dict[str, ConsumerSpec] = {c.name: c for b in BOOTSTRAPS for c in b.consumers}
#: The scheduler's periodic work, by name.
JOBS: dict[str, JobSpec] = {j.name: j for b in BOOTSTRAPS for j in b.jobs}


def application_class(service: str) -> type[MitaApplication]:
    """The write-model class of a service with a store (``KeyError`` for the others)."""
    factory = BY_SERVICE[service].application
    if factory is None:
        raise KeyError(f"{service} keeps no event store")
    return factory()


def load_event_types() -> None:
    """Register every service's event types (the registry is then complete)."""
    for bootstrap in BOOTSTRAPS:
        bootstrap.register_events()


def projections_of(owner: str) -> list[ConsumerSpec]:
    """Consumers whose state lives in ``owner``'s schema."""
    return [p for p in PROJECTIONS.values() if p.owner == owner]
