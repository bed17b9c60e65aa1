"""The auth context's published contract: the request and response models of its API (the
mobile contract's field names) and the event names other contexts consume."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from contracts.envelope import Tolerant, stored_type
from shared.dates import Timezone

# Events of a user other contexts read (key = the user id). UserRegistered carries
# ``profile`` ({timezone, currency, name, country, ...}); UserProfileUpdated carries
# ``changes`` (the profile fields that changed); UserDeleted nothing personal.
USER_REGISTERED: Final = "auth.UserRegistered"
USER_PROFILE_UPDATED: Final = "auth.UserProfileUpdated"
USER_DELETED: Final = "auth.UserDeleted"
USER_LOCKED: Final = "auth.UserLocked"
USER_UNLOCKED: Final = "auth.UserUnlocked"

Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000000"), decimal_places=2)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=56)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class LockRequest(Tolerant):
    """``POST /admin/users/{id}/lock``: why (kept on the account's event)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RegisterRequest(Tolerant):
    """``POST /auth/register``."""

    email: EmailStr
    password: Password
    country: Country | None = None
    annual_income: Money | None = None
    timezone: Timezone = None
    name: ShortText | None = None


class LoginRequest(Tolerant):
    """``POST /auth/login``."""

    email: EmailStr
    password: Password


class GoogleLoginRequest(Tolerant):
    """``POST /auth/google``."""

    id_token: Token


class RefreshRequest(Tolerant):
    """``POST /auth/refresh-token`` (the app may also send it as Bearer; ignored)."""

    refresh_token: Token


class LogoutRequest(Tolerant):
    """``POST /auth/logout``."""

    refresh_token: Token | None = None


class ForgotPasswordRequest(BaseModel):
    """``POST /auth/forgot-password`` (the app sends extra fields; they are ignored)."""

    model_config = ConfigDict(extra="ignore")

    email: EmailStr


class ResetPasswordRequest(Tolerant):
    """``POST /auth/reset-password``."""

    token: Token
    new_password: Password


class ChangePasswordRequest(Tolerant):
    """``POST /auth/change-password``."""

    current_password: Password
    new_password: Password


class DeleteAccountRequest(Tolerant):
    """``DELETE /auth/delete-account``: the app sends ``{timestamp, confirmation: true}``;
    ``{password}`` works too; neither is 422."""

    password: Password | None = None
    confirmation: bool | None = None

    @model_validator(mode="after")
    def confirmed_somehow(self) -> DeleteAccountRequest:
        """Refuse a body that neither confirms nor gives the password."""
        if self.password is None and self.confirmation is not True:
            raise ValueError("send confirmation: true or the account's password")
        return self


class ValidateTokenRequest(Tolerant):
    """``POST /auth/validate-token``."""

    token: Token


class ProfileFields(Tolerant):
    """A user's profile: the one declaration of its fields (the auth events, the users read
    model's columns and the profile answer are held to it)."""

    name: ShortText | None = None
    country: Country | None = None
    timezone: Timezone = None
    income: Money | None = None
    savings_goal: Money | None = None
    budget_method: ShortText | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] | None = None
    region: ShortText | None = None
    notifications_enabled: bool | None = None
    dark_mode_enabled: bool | None = None


class PreferenceFields(Tolerant):
    """The settings screen's preferences (kept together as one JSON document)."""

    dark_mode: bool | None = None
    notifications: bool | None = None
    biometric_auth: bool | None = None
    auto_sync: bool | None = None
    offline_mode: bool | None = None
    language: Annotated[str, StringConstraints(max_length=16)] | None = None
    date_format: Annotated[str, StringConstraints(max_length=32)] | None = None
    budget_alert_threshold: Annotated[Decimal, Field(ge=0, le=100)] | None = None


class UserUpdate(PreferenceFields, ProfileFields):
    """``PATCH /users/me``: profile fields and the settings screen's preferences."""


PROFILE_FIELDS: Final = tuple(ProfileFields.model_fields)
PREFERENCE_FIELDS: Final = tuple(PreferenceFields.model_fields)
#: Field name -> the Python type of its value (str, Decimal, bool).
PROFILE_TYPES: Final[dict[str, type]] = {
    name: stored_type(info.annotation) for name, info in ProfileFields.model_fields.items()
}
PREFERENCE_TYPES: Final[dict[str, type]] = {
    name: stored_type(info.annotation) for name, info in PreferenceFields.model_fields.items()
}


class UserSummary(BaseModel):
    """The user object in auth answers."""

    id: str
    email: str
    country: str | None
    is_premium: bool
    created_at: dt.datetime | None = None
    last_login: dt.datetime | None = None


class AuthTokens(BaseModel):
    """Sign-in answer."""

    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    user: UserSummary | None = None


def jsonable(model: BaseModel) -> dict[str, Any]:
    """Fields the caller set, in JSON-safe Python types (Decimal kept exact)."""
    return model.model_dump(exclude_unset=True)


class LogoutAnswer(BaseModel):
    """``POST /auth/logout``."""

    logout_time: dt.datetime


class MessageAnswer(BaseModel):
    """An answer that only says what happened."""

    message: str


class ValidAnswer(BaseModel):
    """``GET /auth/verify-reset-token`` and ``POST /auth/validate-token``."""

    model_config = ConfigDict(extra="allow")

    valid: bool


class DoneAnswer(BaseModel):
    """``POST /auth/reset-password`` (``reset``) and ``DELETE /auth/delete-account``
    (``deleted``)."""

    reset: bool | None = None
    deleted: bool | None = None


class SecurityStatus(BaseModel):
    """``GET /auth/security-status``."""

    user_id: str
    provider: str
    password_set: bool
    last_login: dt.datetime | None
    failed_logins_since_last_login: int
    token_version: int
    token_expires_at: int
    scopes: list[str]


class UserProfile(BaseModel):
    """``GET``/``PATCH /users/me`` (and each row of ``GET /admin/users``)."""

    model_config = ConfigDict(extra="allow")

    id: str
    email: str
    name: str | None = None
    country: str | None = None
    timezone: str | None = None
    created_at: dt.datetime | None = None
    income: Decimal | None = None
    savings_goal: Decimal | None = None
    budget_method: str | None = None
    currency: str | None = None
    region: str | None = None
    notifications_enabled: bool | None = None
    dark_mode_enabled: bool | None = None
    has_onboarded: bool = False
    email_verified: bool = False
    is_premium: bool = False
    #: Admin listings only: an admin locked the account.
    locked: bool | None = None
    member_since: dt.datetime | None = None
    profile_completion: int | None = None
    preferences: dict[str, Any] = Field(default_factory=dict)


class AccountState(BaseModel):
    """An account after an admin action."""

    user_id: str
    locked: bool
    token_version: int
