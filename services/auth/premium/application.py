"""Premium use cases on the auth store: a verified purchase, a holder ending a subscription,
the caller's referral code. Each returns what it decided and the stored position."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.auth.premium.domain import (
    NotYours,
    Referral,
    ReferralClaim,
    Subscription,
    new_code,
    referral_id,
    subscription_id,
)
from services.auth.premium.verifier import Purchase

CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class SavedSubscription:
    """A subscription and the position of its last stored event (0: nothing changed)."""

    subscription: Subscription
    position: int


class PremiumCases:
    """Mixed into the auth application (one store, one outbox)."""

    repository: Any

    def _save(self, *aggregates: Any) -> int:
        raise NotImplementedError  # provided by AuthApplication

    def _get(self, aggregate_id: uuid.UUID, kind: type[Any]) -> Any:
        try:
            found = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def record_purchase(
        self, user_id: uuid.UUID, platform: str, purchase: Purchase, now: dt.datetime
    ) -> SavedSubscription:
        """Start or renew the subscription a verified receipt proves (NotYours when another
        account holds that store transaction)."""
        for retry in (False, True):
            known = self._get(subscription_id(platform, purchase.transaction_id), Subscription)
            if known is None:
                made = Subscription.start(
                    user_id=user_id, platform=platform, transaction_id=purchase.transaction_id,
                    product_id=purchase.product_id, purchased_at=purchase.purchased_at,
                    expires_at=purchase.expires_at, auto_renew=purchase.auto_renew,
                    trial=purchase.trial, at=now,
                )  # fmt: skip
                try:
                    return SavedSubscription(made, self._save(made))
                except IntegrityError:
                    if retry:
                        raise
                    continue  # validated at the same moment elsewhere: decide on that one
            changed = known.renew(user_id=user_id, product_id=purchase.product_id,
                                  expires_at=purchase.expires_at,
                                  auto_renew=purchase.auto_renew, at=now)  # fmt: skip
            return SavedSubscription(known, self._save(known) if changed else 0)
        raise AssertionError("unreachable")

    def end_subscription(
        self, subscription: uuid.UUID, user_id: uuid.UUID, status: str, now: dt.datetime
    ) -> SavedSubscription:
        """The holder ends a subscription (NotYours for anyone else's or an unknown one)."""
        known = self._get(subscription, Subscription)
        if known is None:
            raise NotYours(str(subscription))
        changed = known.end(user_id=user_id, status=status, at=now)
        return SavedSubscription(known, self._save(known) if changed else 0)

    def referral_code(self, user_id: uuid.UUID) -> tuple[str, int]:
        """The caller's code, issued (and claimed) on first use; the position (0: existing)."""
        for _ in range(CODE_ATTEMPTS):
            known = self._get(referral_id(user_id), Referral)
            if known is not None:
                return known.code, 0
            code = new_code()
            try:
                return code, self._save(Referral.issue(user_id, code),
                                        ReferralClaim.claim(code, user_id))  # fmt: skip
            except IntegrityError:
                continue  # issued meanwhile (found next round), or the code was taken
        raise RuntimeError("could not issue a referral code")
