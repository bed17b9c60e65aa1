"""Premium, in-app purchases and referral codes: what the app sends and reads (iap_service.dart,
api_service.dart:2087, 2170, 4306-4530) and the event names. ``is_premium`` changes only through a
store receipt the server verified."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, StringConstraints

from contracts.envelope import Tolerant

SUBSCRIPTION_VALIDATED: Final = "auth.SubscriptionValidated"
SUBSCRIPTION_RENEWED: Final = "auth.SubscriptionRenewed"
SUBSCRIPTION_STATUS_CHANGED: Final = "auth.SubscriptionStatusChanged"
REFERRAL_CODE_ISSUED: Final = "auth.ReferralCodeIssued"
SUBSCRIPTION_EVENTS: Final = frozenset(
    {SUBSCRIPTION_VALIDATED, SUBSCRIPTION_RENEWED, SUBSCRIPTION_STATUS_CHANGED}
)
#: The app's SubscriptionStatus names (iap_service.dart:24-32).
STATUSES: Final = (
    "active", "expired", "cancelled", "refunded", "gracePeriod", "billingRetry", "pendingRenewal",
)  # fmt: skip
#: What a client may set: only what ends an entitlement; the rest comes from the store.
CLIENT_STATUSES: Final = ("cancelled", "expired")
#: The premium features the app knows (iap_service.dart:378-398).
FEATURES: Final = (
    "advanced_ocr", "batch_receipt_processing", "premium_insights", "enhanced_analytics",
    "unlimited_transactions", "priority_support", "custom_categories", "export_data",
)  # fmt: skip
Receipt = Annotated[str, StringConstraints(min_length=1, max_length=65_536)]


class ValidateReceipt(Tolerant):
    """``POST /iap/validate {user_id, receipt, platform}``: ``user_id`` is the caller's own and
    is never read from the body."""

    model_config = Tolerant.model_config | {"str_max_length": 65_536}
    receipt: Receipt
    platform: Literal["ios", "android"]


class StatusUpdate(Tolerant):
    """``PUT /subscriptions/{id}/status {user_id, status, expires_at, metadata, updated_by}``:
    only ``status`` is taken, and only a status that ends the entitlement."""

    status: Literal["active", "expired", "cancelled", "refunded", "gracePeriod", "billingRetry",
                    "pendingRenewal"]  # fmt: skip


class SubscriptionOut(BaseModel):
    """A subscription as ``SubscriptionInfo.fromJson`` reads it."""

    subscription_id: str
    product_id: str
    status: str
    expires_at: str
    auto_renew: bool
    trial_period: bool
    platform: str
    purchased_at: str
    grace_period_expires_at: str | None = None
    billing_retry_until: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Validated(BaseModel):
    """``POST /iap/validate`` → 200, raw: the app caches the body and reads ``subscription``."""

    status: Literal["valid"]
    is_premium: bool
    subscription: SubscriptionOut


class PremiumStatus(BaseModel):
    """``GET /users/{id}/premium-status`` (in ``data``)."""

    is_premium: bool
    subscription: SubscriptionOut | None


class PremiumFeatures(BaseModel):
    """``GET /users/{id}/premium-features`` (in ``data``)."""

    is_premium: bool
    features: list[str]


class ReferralCode(BaseModel):
    """``GET /referral/code`` (in ``data``)."""

    code: str
