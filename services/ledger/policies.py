"""The ledger's process managers share this: a policy deciding through the ledger's own write
model (``shared.policy``), opened from settings and closed with it."""

from __future__ import annotations

from typing import Self

from services.ledger.application import LedgerApplication
from shared.policy import Policy
from shared.settings import MitaSettings


class LedgerPolicy(Policy):
    """A policy whose commands go to the ledger's write model."""

    def __init__(self, schema: str, database_url: str, application: LedgerApplication) -> None:
        super().__init__(schema, database_url)
        self.application = application

    @classmethod
    def from_settings(cls, settings: MitaSettings) -> Self:
        """The policy over the ledger write model of ``settings``."""
        app = LedgerApplication.from_settings(settings)
        assert isinstance(app, LedgerApplication)
        return cls(settings.schema_for("ledger"), settings.database_url, app)

    async def close(self) -> None:
        """Close the pool and the write model."""
        await super().close()
        self.application.close()
