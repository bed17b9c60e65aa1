"""Subscriptions and referral codes (no I/O).

A ``Subscription`` is one store transaction (its id is derived from the platform and the store's
original transaction id, so a receipt can belong to one account only). It starts from a verified
receipt, is renewed by a later one, and a client may only end it. A user's referral code is
issued once and claimed under its own id, so no two users share one.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from eventsourcing.domain import Aggregate

from contracts.premium import CLIENT_STATUSES
from shared.envelope import registry

NAMESPACE = uuid.UUID("0c7d2a8e-5b14-4f0a-9e63-d1f5a2b7c840")
#: No 0/O or 1/I/L: a code people read aloud and type.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


class NotYours(Exception):
    """The subscription belongs to another account."""


class StatusRefused(Exception):
    """A client may only end a subscription; the store's receipts start and renew it."""


def subscription_id(platform: str, transaction_id: str) -> uuid.UUID:
    """The one subscription of a store transaction."""
    return uuid.uuid5(NAMESPACE, f"{platform}:{transaction_id}")


def referral_id(user_id: uuid.UUID) -> uuid.UUID:
    """The one referral record of a user."""
    return uuid.uuid5(NAMESPACE, f"referral:{user_id}")


def claim_id(code: str) -> uuid.UUID:
    """The claim on a code (one user per code)."""
    return uuid.uuid5(NAMESPACE, f"code:{code}")


def new_code() -> str:
    """An unguessable code (31^10, about 8e14, drawn from the OS's CSPRNG)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


class Subscription(Aggregate):
    """A store subscription and who holds it."""

    class SubscriptionValidated(Aggregate.Created):
        """A verified receipt started it."""

        user_id: uuid.UUID
        platform: str
        transaction_id: str
        product_id: str
        purchased_at: dt.datetime
        expires_at: dt.datetime
        auto_renew: bool
        trial: bool
        at: dt.datetime

    class SubscriptionRenewed(Aggregate.Event):
        """A later verified receipt: the entitlement as the store now states it."""

        user_id: uuid.UUID
        product_id: str
        expires_at: dt.datetime
        auto_renew: bool
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The store's word is the state; a renewal makes it active again."""
            assert isinstance(aggregate, Subscription)
            aggregate.product_id = self.product_id
            aggregate.expires_at = self.expires_at
            aggregate.auto_renew = self.auto_renew
            aggregate.status = "active"

    class SubscriptionStatusChanged(Aggregate.Event):
        """The holder ended it (``cancelled``, ``expired``)."""

        user_id: uuid.UUID
        status: str
        at: dt.datetime

        def apply(self, aggregate: Aggregate) -> None:
            """The new status."""
            assert isinstance(aggregate, Subscription)
            aggregate.status = self.status
            aggregate.auto_renew = False

    def __init__(self, user_id: uuid.UUID, platform: str, transaction_id: str, product_id: str,
                 purchased_at: dt.datetime, expires_at: dt.datetime, auto_renew: bool,
                 trial: bool, at: dt.datetime) -> None:  # fmt: skip
        self.user_id, self.platform, self.transaction_id = user_id, platform, transaction_id
        self.product_id, self.purchased_at, self.expires_at = product_id, purchased_at, expires_at
        self.auto_renew, self.trial, self.status = auto_renew, trial, "active"
        self.validated_at = at

    @classmethod
    def start(cls, *, user_id: uuid.UUID, platform: str, transaction_id: str, product_id: str,
              purchased_at: dt.datetime, expires_at: dt.datetime, auto_renew: bool, trial: bool,
              at: dt.datetime) -> Subscription:  # fmt: skip
        """A subscription from a verified receipt."""
        return cls._create(
            cls.SubscriptionValidated, id=subscription_id(platform, transaction_id),
            user_id=user_id, platform=platform, transaction_id=transaction_id,
            product_id=product_id, purchased_at=purchased_at, expires_at=expires_at,
            auto_renew=auto_renew, trial=trial, at=at,
        )  # fmt: skip

    def check_holder(self, user_id: uuid.UUID) -> None:
        """NotYours unless ``user_id`` holds it."""
        if self.user_id != user_id:
            raise NotYours(str(self.id))

    def renew(self, *, user_id: uuid.UUID, product_id: str, expires_at: dt.datetime,
              auto_renew: bool, at: dt.datetime) -> bool:  # fmt: skip
        """Take a later verified receipt; whether anything changed."""
        self.check_holder(user_id)
        same = (self.product_id, self.expires_at, self.auto_renew, self.status) == (
            product_id, expires_at, auto_renew, "active",
        )  # fmt: skip
        if same or expires_at < self.expires_at:
            return False  # an older receipt never shortens what a newer one granted
        self.trigger_event(self.SubscriptionRenewed, user_id=user_id, product_id=product_id,
                           expires_at=expires_at, auto_renew=auto_renew, at=at)  # fmt: skip
        return True

    def end(self, *, user_id: uuid.UUID, status: str, at: dt.datetime) -> bool:
        """The holder ends it; whether the status changed."""
        self.check_holder(user_id)
        if status not in CLIENT_STATUSES:
            raise StatusRefused(status)
        if status == self.status:
            return False
        self.trigger_event(self.SubscriptionStatusChanged, user_id=user_id, status=status, at=at)
        return True


class Referral(Aggregate):
    """A user's referral code, issued once."""

    class ReferralCodeIssued(Aggregate.Created):
        """The code."""

        user_id: uuid.UUID
        code: str

    def __init__(self, user_id: uuid.UUID, code: str) -> None:
        self.user_id, self.code = user_id, code

    @classmethod
    def issue(cls, user_id: uuid.UUID, code: str) -> Referral:
        """Issue ``code`` to ``user_id``."""
        return cls._create(cls.ReferralCodeIssued, id=referral_id(user_id), user_id=user_id,
                           code=code)  # fmt: skip


class ReferralClaim(Aggregate):
    """The claim on one code: created with the referral, in the same save."""

    class ReferralCodeClaimed(Aggregate.Created):
        """Whose code it is."""

        user_id: uuid.UUID

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id

    @classmethod
    def claim(cls, code: str, user_id: uuid.UUID) -> ReferralClaim:
        """Claim ``code`` for ``user_id``."""
        return cls._create(cls.ReferralCodeClaimed, id=claim_id(code), user_id=user_id)


for aggregate in (Subscription, Referral, ReferralClaim):
    registry.register_aggregate("auth", aggregate, short_names=True)
