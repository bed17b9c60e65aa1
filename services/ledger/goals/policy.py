"""``ledger_goal_linking``: a transaction linked to a goal by ``goal_id`` counts towards it.

Each transaction event is decided from the transaction's state before it (loaded at that
version) and as it is now: the goal it left counts it at 0, the goal it is linked to now counts
its current amount (0 once deleted). The Goal keeps what each transaction counts for, so
deciding an event again, or late, changes nothing; a link to a missing or foreign goal saves
nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from contracts.ledger import TRANSACTION_AMENDED, TRANSACTION_DELETED, TRANSACTION_RECORDED
from services.ledger.domain import Transaction
from services.ledger.policies import LedgerPolicy
from shared.envelope import EventEnvelope

ZERO = Decimal("0.00")


def linked(tx: Transaction | None) -> tuple[uuid.UUID | None, Decimal]:
    """The goal a transaction state counts for and how much (none when deleted)."""
    if tx is None or tx.deleted or tx.goal_id is None:
        return None, ZERO
    return uuid.UUID(str(tx.goal_id)), tx.amount


class GoalLinking(LedgerPolicy):
    """Transactions with a ``goal_id`` → the goal's saved amount."""

    name = "ledger_goal_linking"
    sources = ("ledger",)
    handles = frozenset({TRANSACTION_RECORDED, TRANSACTION_AMENDED, TRANSACTION_DELETED})

    async def decide(self, reader: AsyncConnection[DictRow], event: EventEnvelope) -> None:
        """Move the transaction's amount between the goals it left and joined."""
        await asyncio.to_thread(self._decide, event.aggregate_id, event.aggregate_version)

    def _state(self, transaction_id: uuid.UUID, version: int | None) -> Transaction | None:
        if version is not None and version < 1:
            return None
        found = self.application.repository.get(transaction_id, version=version)
        return found if isinstance(found, Transaction) else None

    def _decide(self, transaction_id: uuid.UUID, version: int) -> None:
        now = self._state(transaction_id, None)
        if now is None:
            return
        before_goal, _ = linked(self._state(transaction_id, version - 1))
        goal, amount = linked(now)
        link = self.application.link_goal_savings
        if before_goal is not None and before_goal != goal:
            link(before_goal, user_id=now.user_id, transaction_id=transaction_id, amount=ZERO)
        if goal is not None:
            link(goal, user_id=now.user_id, transaction_id=transaction_id, amount=amount)
