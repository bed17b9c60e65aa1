"""Auth domain: users and the email index (no I/O; hashes arrive already computed); the
stateless rules they follow are in ``services.auth.rules``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from contracts import auth as contract
from services.auth import rules
from shared.envelope import registry

# The profile's and the preferences' fields: declared once, by the published contract.
PROFILE_FIELDS = frozenset(contract.PROFILE_FIELDS)
PREFERENCE_FIELDS = frozenset(contract.PREFERENCE_FIELDS)


class User(Aggregate):
    """A person with a MITA account; deletion is an event, the history stays."""

    class Event(Aggregate.Event):
        """Base of user events: state changes live in ``User.when``."""

        def apply(self, aggregate: Aggregate) -> None:
            """Let the user assign what the event says."""
            assert isinstance(aggregate, User)
            aggregate.when(self)

    class Registered(Aggregate.Created):
        """A new account (password or Google)."""

        personal_fields = ("email", "profile.name")
        email: str
        password_hash: str | None
        provider: str
        google_uid: str | None
        profile: dict[str, Any]
        annual_income: Decimal | None
        is_admin: bool
        registered_at: dt.datetime

    class LoggedIn(Event):
        """A successful sign-in."""

        method: str
        ip: str | None
        at: dt.datetime

    class LoginFailed(Event):
        """A wrong password for this account."""

        ip: str | None
        at: dt.datetime

    class PasswordRehashed(Event):
        """The hash was upgraded to the current parameters on login."""

        password_hash: str

    class PasswordChanged(Event):
        """The user changed the password; older tokens die with the version bump."""

        password_hash: str
        token_version: int

    class PasswordResetRequested(Event):
        """A single-use reset token (stored only as a hash) was issued."""

        token_hash: str
        expires_at: dt.datetime

    class PasswordReset(Event):
        """The password was reset with a token; the token is spent."""

        password_hash: str
        token_hash: str
        token_version: int

    class ProfileUpdated(Event):
        """Profile fields changed."""

        personal_fields = ("changes.name",)
        changes: dict[str, Any]

    class PreferencesUpdated(Event):
        """Settings-screen preferences changed."""

        changes: dict[str, Any]

    class TokensRevoked(Event):
        """Every token issued before is dead (new token version)."""

        token_version: int
        reason: str

    class Locked(Event):
        """An admin locked the account: no sign-in, every token dead, until unlocked."""

        reason: str
        by: uuid.UUID
        at: dt.datetime
        token_version: int

    class Unlocked(Event):
        """An admin unlocked the account."""

        by: uuid.UUID
        at: dt.datetime

    class AdminGranted(Event):
        """The account may use the admin portal and API (``mita admin grant``)."""

        by: str
        at: dt.datetime

    class AdminRevoked(Event):
        """The account is an admin no more; its tokens (with the admin scope) die."""

        by: str
        at: dt.datetime
        token_version: int

    class Deleted(Event):
        """The account was deleted by its owner."""

        token_version: int
        at: dt.datetime

    def __init__(
        self,
        email: str,
        password_hash: str | None,
        provider: str,
        google_uid: str | None,
        profile: dict[str, Any],
        annual_income: Decimal | None,
        is_admin: bool,
        registered_at: dt.datetime,
    ) -> None:
        self.email = email
        self.password_hash = password_hash
        self.provider = provider
        self.google_uid = google_uid
        self.profile = dict(profile)
        self.preferences: dict[str, Any] = {}
        self.annual_income = annual_income
        self.is_admin = is_admin
        self.registered_at = registered_at
        self.token_version = 0
        self.deleted = False
        self.locked = False
        self.failed_logins = 0
        self.last_login: dt.datetime | None = None
        self.reset_tokens: dict[str, dt.datetime] = {}

    # -- decisions ------------------------------------------------------------------------
    @classmethod
    def register(
        cls,
        *,
        user_id: uuid.UUID,
        email: str,
        password_hash: str | None,
        provider: str = "password",
        google_uid: str | None = None,
        profile: dict[str, Any],
        annual_income: Decimal | None,
        is_admin: bool,
        now: dt.datetime,
    ) -> User:
        """Decide a new account."""
        return cls._create(
            cls.Registered,
            id=user_id,
            email=rules.normalize_email(email),
            password_hash=password_hash,
            provider=provider,
            google_uid=google_uid,
            profile=profile,
            annual_income=annual_income,
            is_admin=is_admin,
            registered_at=now,
        )

    def _alive(self) -> None:
        if self.deleted:
            raise rules.AccountDeleted("account deleted")

    def logged_in(self, *, method: str, ip: str | None, now: dt.datetime) -> None:
        """Record a successful sign-in (refused while locked)."""
        self._alive()
        if self.locked:
            raise rules.AccountLocked("account locked")
        self.trigger_event(self.LoggedIn, method=method, ip=ip, at=now)

    def login_failed(self, *, ip: str | None, now: dt.datetime) -> None:
        """Record a failed sign-in."""
        self._alive()
        self.trigger_event(self.LoginFailed, ip=ip, at=now)

    def rehash(self, password_hash: str) -> None:
        """Upgrade the stored hash."""
        self._alive()
        self.trigger_event(self.PasswordRehashed, password_hash=password_hash)

    def change_password(self, password_hash: str) -> None:
        """Set a new password; bumps the token version."""
        self._alive()
        self.trigger_event(
            self.PasswordChanged, password_hash=password_hash, token_version=self.token_version + 1
        )

    def request_reset(self, *, token_hash: str, expires_at: dt.datetime) -> None:
        """Issue a reset token (hash only)."""
        self._alive()
        self.trigger_event(
            self.PasswordResetRequested, token_hash=token_hash, expires_at=expires_at
        )

    def reset_token_valid(self, token_hash: str, now: dt.datetime) -> bool:
        """Whether a reset token is unspent and unexpired."""
        expires = self.reset_tokens.get(token_hash)
        return not self.deleted and expires is not None and now < expires

    def reset_password(self, *, token_hash: str, password_hash: str, now: dt.datetime) -> None:
        """Spend a reset token; bumps the token version."""
        if not self.reset_token_valid(token_hash, now):
            raise rules.ResetTokenInvalid("invalid or expired reset token")
        self.trigger_event(
            self.PasswordReset,
            password_hash=password_hash,
            token_hash=token_hash,
            token_version=self.token_version + 1,
        )

    def update_profile(self, changes: dict[str, Any]) -> bool:
        """Change profile fields; return whether anything changed."""
        self._alive()
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise ValueError(f"not profile fields: {sorted(unknown)}")
        real = {k: v for k, v in changes.items() if self.profile.get(k) != v}
        if real:
            self.trigger_event(self.ProfileUpdated, changes=real)
        return bool(real)

    def update_preferences(self, changes: dict[str, Any]) -> bool:
        """Change preferences; return whether anything changed."""
        self._alive()
        unknown = set(changes) - PREFERENCE_FIELDS
        if unknown:
            raise ValueError(f"not preferences: {sorted(unknown)}")
        real = {k: v for k, v in changes.items() if self.preferences.get(k) != v}
        if real:
            self.trigger_event(self.PreferencesUpdated, changes=real)
        return bool(real)

    def revoke_tokens(self, reason: str) -> None:
        """Kill every token issued so far."""
        self._alive()
        self.trigger_event(self.TokensRevoked, token_version=self.token_version + 1, reason=reason)

    def lock(self, *, reason: str, by: uuid.UUID, now: dt.datetime) -> bool:
        """Lock the account and kill its tokens; return whether it was unlocked before."""
        self._alive()
        if self.locked:
            return False
        self.trigger_event(
            self.Locked, reason=reason, by=by, at=now, token_version=self.token_version + 1
        )
        return True

    def unlock(self, *, by: uuid.UUID, now: dt.datetime) -> bool:
        """Unlock the account; return whether it was locked."""
        self._alive()
        if not self.locked:
            return False
        self.trigger_event(self.Unlocked, by=by, at=now)
        return True

    def grant_admin(self, *, by: str, now: dt.datetime) -> bool:
        """Make the account an admin (from its next sign-in); return whether it changed."""
        self._alive()
        if self.is_admin:
            return False
        self.trigger_event(self.AdminGranted, by=by, at=now)
        return True

    def revoke_admin(self, *, by: str, now: dt.datetime) -> bool:
        """Take the admin scope away, now: every token dies; return whether it changed."""
        self._alive()
        if not self.is_admin:
            return False
        self.trigger_event(self.AdminRevoked, by=by, at=now, token_version=self.token_version + 1)
        return True

    def delete(self, now: dt.datetime) -> None:
        """Delete the account; every token dies."""
        self._alive()
        self.trigger_event(self.Deleted, token_version=self.token_version + 1, at=now)

    # -- application of events ------------------------------------------------------------
    def when(self, event: Aggregate.Event) -> None:
        """Assign what an event says (called by the event classes)."""
        if isinstance(event, User.LoggedIn):
            self.last_login = event.at
            self.failed_logins = 0
        elif isinstance(event, User.LoginFailed):
            self.failed_logins += 1
        elif isinstance(event, User.PasswordRehashed):
            self.password_hash = event.password_hash
        elif isinstance(event, User.PasswordChanged):
            self.password_hash = event.password_hash
            self.token_version = event.token_version
        elif isinstance(event, User.PasswordResetRequested):
            self.reset_tokens[event.token_hash] = event.expires_at
        elif isinstance(event, User.PasswordReset):
            self.password_hash = event.password_hash
            self.token_version = event.token_version
            self.reset_tokens.clear()  # every outstanding token is spent with the first use
        elif isinstance(event, User.ProfileUpdated):
            self.profile.update(event.changes)
        elif isinstance(event, User.PreferencesUpdated):
            self.preferences.update(event.changes)
        elif isinstance(event, User.TokensRevoked):
            self.token_version = event.token_version
        elif isinstance(event, User.Locked):
            self.locked = True
            self.token_version = event.token_version
        elif isinstance(event, User.Unlocked):
            self.locked = False
        elif isinstance(event, User.AdminGranted):
            self.is_admin = True
        elif isinstance(event, User.AdminRevoked):
            self.is_admin = False
            self.token_version = event.token_version
        elif isinstance(event, User.Deleted):
            self.token_version = event.token_version
            self.deleted = True


class EmailIndex(Aggregate):
    """One per normalized email (derived id): saving a second one for the same email fails."""

    class Event(Aggregate.Event):
        """Base of index events: state changes live in ``EmailIndex.when``."""

        def apply(self, aggregate: Aggregate) -> None:
            """Let the index assign what the event says."""
            assert isinstance(aggregate, EmailIndex)
            aggregate.when(self)

    class Claimed(Aggregate.Created):
        """The email now belongs to a user."""

        user_id: uuid.UUID

    class Released(Event):
        """The owner deleted the account; the email may be registered again."""

    class Reclaimed(Event):
        """A released email was registered again."""

        user_id: uuid.UUID

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id: uuid.UUID | None = user_id

    @classmethod
    def claim(cls, email: str, user_id: uuid.UUID) -> EmailIndex:
        """Claim a never-used email."""
        return cls._create(cls.Claimed, id=rules.email_index_id(email), user_id=user_id)

    def reclaim(self, user_id: uuid.UUID) -> None:
        """Claim a released email."""
        if self.user_id is not None:
            raise rules.EmailTaken("email already registered")
        self.trigger_event(self.Reclaimed, user_id=user_id)

    def release(self) -> None:
        """Free the email after the account is deleted."""
        self.trigger_event(self.Released)

    def when(self, event: Aggregate.Event) -> None:
        """Assign what an index event says."""
        if isinstance(event, EmailIndex.Released):
            self.user_id = None
        elif isinstance(event, EmailIndex.Reclaimed):
            self.user_id = event.user_id


registry.register_aggregate("auth", User)
registry.register_aggregate("auth", EmailIndex)
