"""How the auth service runs (see ``shared.bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap import Bootstrap, ConsumerSpec
from shared.settings import MitaSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.projections import Consumer
    from shared.store import MitaApplication


def create_app() -> FastAPI:
    """The auth HTTP app."""
    from services.auth.main import create_app as build

    return build()


def application() -> type[MitaApplication]:
    """The auth write model."""
    from services.auth.application import AuthApplication

    return AuthApplication


def users(settings: MitaSettings) -> Consumer:
    """``auth_users``: the users behind /users/me and the admin portal."""
    from services.auth.projections import UsersProjection

    return UsersProjection(settings.schema_for("auth"))


def premium(settings: MitaSettings) -> Consumer:
    """``auth_premium``: subscriptions and referral codes."""
    from services.auth.premium.projections import PremiumProjection

    return PremiumProjection(settings.schema_for("auth"))


def shredder(settings: MitaSettings) -> Consumer:
    """``auth_shredder``: a deleted account's data key is deleted (crypto-shredding)."""
    from services.auth.shredder import KeyShredder

    return KeyShredder(settings.schema_for("auth"), settings.keys_schema())


def register_events() -> None:
    """Declare auth's event types."""
    # Importing the domain modules registers their events.
    import services.auth.domain
    import services.auth.premium.domain  # noqa: F401


BOOTSTRAP = Bootstrap(
    "auth",
    create_app,
    application,
    (
        ConsumerSpec("auth_users", "auth", users),
        ConsumerSpec("auth_premium", "auth", premium),
        ConsumerSpec("auth_shredder", "auth", shredder),
    ),
    register_events,
)
