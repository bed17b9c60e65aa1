"""Auth use cases: load, decide, save; each returns what it changed and the stored position."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.auth.domain import EmailIndex, User
from services.auth.premium.application import PremiumCases
from services.auth.rules import (
    AccountDeleted,
    EmailTaken,
    NoPassword,
    ResetTokenInvalid,
    email_index_id,
    monthly_income,
    normalize_email,
)
from shared.store import MitaApplication


class Hasher(Protocol):
    """Password hashing (argon2id in production)."""

    def hash(self, password: str) -> str:
        """Hash a password."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Check a password against a hash."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a hash uses outdated parameters."""
        ...

    def dummy_verify(self, password: str) -> None:
        """Spend the time of a verify (unknown accounts cost the same)."""
        ...


class InvalidCredentials(Exception):
    """Unknown email, deleted account or wrong password (indistinguishable to callers)."""


class WeakPassword(Exception):
    """The password breaks the policy."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


PolicyCheck = Any  # callable(password, *, email) -> list[str]


@dataclass(frozen=True)
class Saved:
    """Result of a use case: the user and the position of its last stored event."""

    user: User
    position: int


def reset_token_hash(token: str) -> str:
    """Reset tokens are stored only as SHA-256 hashes."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthApplication(PremiumCases, MitaApplication):
    """Write model of the auth service."""

    name = "auth"
    service = "auth"

    hasher: Hasher
    policy: PolicyCheck
    admin_emails: frozenset[str] = frozenset()

    def configure(
        self, hasher: Hasher, policy: PolicyCheck, admin_emails: list[str] | None = None
    ) -> AuthApplication:
        """Attach the password hasher and policy (adapters chosen by the process)."""
        self.hasher = hasher
        self.policy = policy
        self.admin_emails = frozenset(normalize_email(e) for e in admin_emails or [])
        return self

    # -- helpers --------------------------------------------------------------------------
    def _save(self, *aggregates: Any) -> int:
        recordings = self.save(*aggregates)
        return max((r.notification.id for r in recordings), default=self.head_position())

    def user(self, user_id: uuid.UUID) -> User:
        """Load a live user (AccountDeleted for a deleted one, KeyError if unknown)."""
        try:
            user: Any = self.repository.get(user_id)
        except AggregateNotFoundError as exc:
            raise KeyError(str(user_id)) from exc
        if not isinstance(user, User):  # e.g. an email index id passed as a user id
            raise KeyError(str(user_id))
        if user.deleted:
            raise AccountDeleted("account deleted")
        return user

    def user_by_email(self, email: str) -> User | None:
        """The live user owning ``email``, if any."""
        try:
            index: EmailIndex = self.repository.get(email_index_id(email))
        except AggregateNotFoundError:
            return None
        if index.user_id is None:
            return None
        user: User = self.repository.get(index.user_id)
        return None if user.deleted else user

    def _check_policy(self, password: str, email: str) -> None:
        problems: list[str] = self.policy(password, email=email)
        if problems:
            raise WeakPassword(problems)

    # -- registration ---------------------------------------------------------------------
    def register(
        self,
        *,
        email: str,
        password: str | None,
        profile: dict[str, Any],
        annual_income: Decimal | None,
        now: dt.datetime,
        provider: str = "password",
        google_uid: str | None = None,
    ) -> Saved:
        """Create an account; the email index is saved in the same transaction."""
        if password is not None:
            self._check_policy(password, email)
        user_id = uuid.uuid4()
        profile = {**profile}
        if annual_income is not None and "income" not in profile:
            profile["income"] = monthly_income(annual_income)
        user = User.register(
            user_id=user_id,
            email=email,
            password_hash=self.hasher.hash(password) if password is not None else None,
            provider=provider,
            google_uid=google_uid,
            profile=profile,
            annual_income=annual_income,
            is_admin=normalize_email(email) in self.admin_emails,
            now=now,
        )
        try:
            index: EmailIndex = self.repository.get(email_index_id(email))
            index.reclaim(user_id)  # raises EmailTaken while the email is in use
        except AggregateNotFoundError:
            index = EmailIndex.claim(email, user_id)
        try:
            return Saved(user, self._save(user, index))
        except IntegrityError as exc:  # a concurrent registration of the same email won
            raise EmailTaken("email already registered") from exc

    # -- sign-in --------------------------------------------------------------------------
    def login(self, *, email: str, password: str, ip: str | None, now: dt.datetime) -> Saved:
        """Verify a password; record the outcome; upgrade an outdated hash."""
        user = self.user_by_email(email)
        if user is None or user.password_hash is None:
            self.hasher.dummy_verify(password)
            raise InvalidCredentials("invalid email or password")
        if not self.hasher.verify(user.password_hash, password):
            user.login_failed(ip=ip, now=now)
            self._save(user)
            raise InvalidCredentials("invalid email or password")
        if self.hasher.needs_rehash(user.password_hash):
            user.rehash(self.hasher.hash(password))
        user.logged_in(method="password", ip=ip, now=now)
        return Saved(user, self._save(user))

    def google_login(
        self,
        *,
        uid: str,
        email: str,
        name: str | None,
        ip: str | None,
        now: dt.datetime,
    ) -> Saved:
        """Sign in (registering on first use) a verified Google identity."""
        user = self.user_by_email(email)
        if user is not None and user.google_uid != uid:
            # No silent linking: a password account (or another Google identity) owns the email.
            raise EmailTaken("an account with this email already exists")
        if user is None:
            user = self.register(
                email=email,
                password=None,
                profile={"name": name} if name else {},
                annual_income=None,
                now=now,
                provider="google",
                google_uid=uid,
            ).user
        user.logged_in(method="google", ip=ip, now=now)
        return Saved(user, self._save(user))

    # -- passwords ------------------------------------------------------------------------
    def change_password(self, user_id: uuid.UUID, *, current: str, new: str) -> Saved:
        """Change the password after checking the current one."""
        user = self.user(user_id)
        if user.password_hash is None:
            raise NoPassword("this account signs in with Google")
        if not self.hasher.verify(user.password_hash, current):
            raise InvalidCredentials("current password is incorrect")
        self._check_policy(new, user.email)
        user.change_password(self.hasher.hash(new))
        return Saved(user, self._save(user))

    def forgot_password(self, email: str, *, now: dt.datetime, ttl: dt.timedelta) -> str | None:
        """Issue a single-use reset token for a live account (None for unknown emails)."""
        user = self.user_by_email(email)
        if user is None:
            return None
        token = f"{user.id.hex}.{secrets.token_urlsafe(32)}"
        user.request_reset(token_hash=reset_token_hash(token), expires_at=now + ttl)
        self._save(user)
        return token

    def _user_for_token(self, token: str) -> User:
        try:
            user_hex = token.split(".", 1)[0]
            return self.user(uuid.UUID(hex=user_hex))
        except (ValueError, KeyError, AccountDeleted) as exc:
            raise ResetTokenInvalid("invalid or expired reset token") from exc

    def reset_token_valid(self, token: str, now: dt.datetime) -> bool:
        """Whether a reset token would be accepted now."""
        try:
            user = self._user_for_token(token)
        except ResetTokenInvalid:
            return False
        return user.reset_token_valid(reset_token_hash(token), now)

    def reset_password(self, token: str, new: str, *, now: dt.datetime) -> Saved:
        """Spend a reset token and set a new password."""
        user = self._user_for_token(token)
        if not user.reset_token_valid(reset_token_hash(token), now):
            raise ResetTokenInvalid("invalid or expired reset token")
        self._check_policy(new, user.email)
        user.reset_password(
            token_hash=reset_token_hash(token), password_hash=self.hasher.hash(new), now=now
        )
        return Saved(user, self._save(user))

    # -- profile --------------------------------------------------------------------------
    def update_profile(
        self, user_id: uuid.UUID, profile: dict[str, Any], preferences: dict[str, Any]
    ) -> Saved:
        """Change profile fields and preferences together."""
        user = self.user(user_id)
        user.update_profile(profile)
        user.update_preferences(preferences)
        return Saved(user, self._save(user))

    def lock(self, user_id: uuid.UUID, *, reason: str, by: uuid.UUID, now: dt.datetime) -> Saved:
        """An admin locks an account (its tokens die with it)."""
        user = self.user(user_id)
        user.lock(reason=reason, by=by, now=now)
        return Saved(user, self._save(user))

    def unlock(self, user_id: uuid.UUID, *, by: uuid.UUID, now: dt.datetime) -> Saved:
        """An admin unlocks an account."""
        user = self.user(user_id)
        user.unlock(by=by, now=now)
        return Saved(user, self._save(user))

    def set_admin(self, email: str, *, admin: bool, by: str, now: dt.datetime) -> Saved:
        """Grant or revoke the admin scope of the account owning ``email`` (KeyError: none)."""
        user = self.user_by_email(email)
        if user is None:
            raise KeyError(email)
        if admin:
            user.grant_admin(by=by, now=now)
        else:
            user.revoke_admin(by=by, now=now)
        return Saved(user, self._save(user))

    def revoke_tokens(self, user_id: uuid.UUID, reason: str) -> Saved:
        """Kill every token of a user."""
        user = self.user(user_id)
        user.revoke_tokens(reason)
        return Saved(user, self._save(user))

    def delete_account(
        self,
        user_id: uuid.UUID,
        *,
        password: str | None,
        now: dt.datetime,
        confirmed: bool = False,
    ) -> Saved:
        """Delete an account; free its email.

        A password, when given, must be the account's; without one the caller must have
        confirmed explicitly (the app's ``confirmation: true`` behind a signed-in session).
        """
        user = self.user(user_id)
        if password is not None:
            if user.password_hash is None or not self.hasher.verify(user.password_hash, password):
                raise InvalidCredentials("password is incorrect")
        elif not confirmed and user.password_hash is not None:
            raise InvalidCredentials("password is incorrect")
        index: EmailIndex = self.repository.get(email_index_id(user.email))
        user.delete(now)
        index.release()
        return Saved(user, self._save(user, index))
