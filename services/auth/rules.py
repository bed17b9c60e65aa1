"""Auth rules that hold no state: the domain's errors, email normalisation and the email
index's derived id, monthly income from an annual figure."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

EMAIL_NAMESPACE = uuid.UUID("2b7d3c55-0d7e-4b7e-9f64-5d0f9f3c8a41")
CENTS = Decimal("0.01")


class AuthError(Exception):
    """Base of auth domain errors."""


class EmailTaken(AuthError):
    """The email is already registered."""


class AccountDeleted(AuthError):
    """The account was deleted."""


class AccountLocked(AuthError):
    """An admin locked the account."""


class ResetTokenInvalid(AuthError):
    """The reset token is unknown, used or expired."""


class NoPassword(AuthError):
    """The account signs in with Google and has no password."""


def normalize_email(email: str) -> str:
    """Canonical form used for uniqueness (case-insensitive, trimmed)."""
    return email.strip().lower()


def email_index_id(email: str) -> uuid.UUID:
    """Derived id of the email index aggregate: one per normalized email."""
    return uuid.uuid5(EMAIL_NAMESPACE, normalize_email(email))


def monthly_income(annual: Decimal | None) -> Decimal | None:
    """Monthly income from an annual figure, to the cent (half up)."""
    return None if annual is None else (annual / 12).quantize(CENTS, rounding=ROUND_HALF_UP)
