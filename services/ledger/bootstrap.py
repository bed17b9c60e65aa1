"""How the ledger service runs (see ``shared.bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap, ConsumerSpec
from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.projections import Consumer
    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The ledger HTTP app."""
    from services.ledger.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The ledger write model."""
    from services.ledger.application import LedgerApplication

    return LedgerApplication


def transactions(settings: MitaSettings) -> Consumer:
    """``ledger_transactions``: the transactions the app lists."""
    from services.ledger.projections import TransactionsProjection

    return TransactionsProjection(settings.schema_for("ledger"))


def users(settings: MitaSettings) -> Consumer:
    """``ledger_users``: currency and timezone defaults from auth."""
    from services.ledger.projections import UsersProjection

    return UsersProjection(settings.schema_for("ledger"))


def goals(settings: MitaSettings) -> Consumer:
    """``ledger_goals``: the goals the app lists."""
    from services.ledger.goals.projections import GoalsProjection

    return GoalsProjection(settings.schema_for("ledger"))


def installments(settings: MitaSettings) -> Consumer:
    """``ledger_installments``: installments, profiles and calculations the app reads."""
    from services.ledger.installments.projections import InstallmentsProjection

    return InstallmentsProjection(settings.schema_for("ledger"))


def goal_linking(settings: MitaSettings) -> Consumer:
    """``ledger_goal_linking``: transactions linked by ``goal_id`` count towards the goal."""
    from services.ledger.goals.policy import GoalLinking

    return GoalLinking.from_settings(settings)


def receipts(settings: MitaSettings) -> Consumer:
    """``ledger_receipts``: whose each receipt is (``receipt_url`` is checked against it)."""
    from services.ledger.receipts import ReceiptLinksProjection

    return ReceiptLinksProjection(settings.schema_for("ledger"))


def receipt_recording(settings: MitaSettings) -> Consumer:
    """``ledger_receipt_recording``: records a receipt's transaction when asked to."""
    from services.ledger.receipts import ReceiptRecording

    return ReceiptRecording.from_settings(settings)


def register_events() -> None:
    """Declare the ledger's event types."""
    import services.ledger.domain
    import services.ledger.goals.domain
    import services.ledger.installments.domain  # noqa: F401


BOOTSTRAP = Bootstrap(
    "ledger",
    create_app,
    application,
    (
        ConsumerSpec("ledger_transactions", "ledger", transactions),
        ConsumerSpec("ledger_users", "ledger", users),
        ConsumerSpec("ledger_goals", "ledger", goals),
        ConsumerSpec("ledger_goal_linking", "ledger", goal_linking),
        ConsumerSpec("ledger_installments", "ledger", installments),
        ConsumerSpec("ledger_receipts", "ledger", receipts),
        ConsumerSpec("ledger_receipt_recording", "ledger", receipt_recording),
    ),
    register_events,
)
