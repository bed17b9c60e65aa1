"""The ledger's process managers share this: a policy deciding through the ledger's own write
model (``shared.policy.ApplicationPolicy``)."""

from __future__ import annotations

from typing import ClassVar

from services.ledger.application import LedgerApplication
from shared.policy import ApplicationPolicy
from shared.store import MitaApplication


class LedgerPolicy(ApplicationPolicy[LedgerApplication]):
    """A policy whose commands go to the ledger's write model."""

    service: ClassVar[str] = "ledger"
    application_class: ClassVar[type[MitaApplication]] = LedgerApplication
