"""Auth domain: the User and EmailIndex aggregates, email ids and monthly income (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from services.auth.domain import PREFERENCE_FIELDS, PROFILE_FIELDS, EmailIndex, User
from services.auth.rules import (
    AccountDeleted,
    EmailTaken,
    ResetTokenInvalid,
    email_index_id,
    monthly_income,
    normalize_email,
)
from shared.envelope import registry

NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def new_user(**overrides: Any) -> User:
    """A registered password user (its Registered event still pending)."""
    fields: dict[str, Any] = {
        "user_id": uuid.uuid4(),
        "email": "  Ada@Example.COM ",
        "password_hash": "hash-1",
        "profile": {"name": "Ada", "country": "UK"},
        "annual_income": Decimal("1200.00"),
        "is_admin": False,
        "now": NOW,
    }
    fields.update(overrides)
    return User.register(**fields)


def names(aggregate: Aggregate) -> list[str]:
    """Public names of the aggregate's pending events (collecting them)."""
    return [registry.name_of("auth", type(e)) for e in aggregate.collect_events()]


def test_register_sets_state_and_normalizes_email() -> None:
    uid = uuid.uuid4()
    profile: dict[str, Any] = {"name": "Ada"}
    user = new_user(user_id=uid, profile=profile, is_admin=True)
    profile["name"] = "mutated after registration"
    assert user.id == uid
    assert user.email == "ada@example.com"
    assert (user.password_hash, user.provider, user.google_uid) == ("hash-1", "password", None)
    assert user.profile == {"name": "Ada"}
    assert user.preferences == {}
    assert user.annual_income == Decimal("1200.00")
    assert user.is_admin is True
    assert user.registered_at == NOW
    assert (user.token_version, user.deleted, user.failed_logins) == (0, False, 0)
    assert user.last_login is None
    assert user.reset_tokens == {}
    assert names(user) == ["auth.UserRegistered"]


def test_google_registration_has_no_password() -> None:
    user = new_user(password_hash=None, provider="google", google_uid="g-123")
    assert (user.password_hash, user.provider, user.google_uid) == (None, "google", "g-123")


def test_every_user_command_records_its_registered_event_name() -> None:
    user = new_user()
    user.logged_in(method="password", ip="10.0.0.1", now=NOW)
    user.login_failed(ip="10.0.0.2", now=NOW)
    user.rehash("hash-2")
    user.change_password("hash-3")
    user.request_reset(token_hash="t", expires_at=NOW + HOUR)
    user.reset_password(token_hash="t", password_hash="hash-4", now=NOW)
    user.update_profile({"name": "Ada L."})
    user.update_preferences({"dark_mode": True})
    user.revoke_tokens("logout-all")
    user.delete(NOW)
    assert names(user) == [
        "auth.UserRegistered",
        "auth.UserLoggedIn",
        "auth.UserLoginFailed",
        "auth.UserPasswordRehashed",
        "auth.UserPasswordChanged",
        "auth.UserPasswordResetRequested",
        "auth.UserPasswordReset",
        "auth.UserProfileUpdated",
        "auth.UserPreferencesUpdated",
        "auth.UserTokensRevoked",
        "auth.UserDeleted",
    ]
    assert user.version == 11
    registered = {e.name for e in registry.all() if e.service == "auth"}
    assert {"auth.EmailIndexClaimed", "auth.EmailIndexReleased", "auth.EmailIndexReclaimed"} < (
        registered
    )
    assert registry.get("auth.UserRegistered").cls is User.Registered


def test_login_outcomes_track_failures_and_last_login() -> None:
    user = new_user()
    user.login_failed(ip=None, now=NOW)
    user.login_failed(ip="1.2.3.4", now=NOW + HOUR)
    assert user.failed_logins == 2
    assert user.last_login is None
    later = NOW + 2 * HOUR
    user.logged_in(method="google", ip=None, now=later)
    assert user.failed_logins == 0
    assert user.last_login == later
    events = user.collect_events()
    assert isinstance(events[1], User.LoginFailed)
    assert events[1].ip is None
    assert isinstance(events[3], User.LoggedIn)
    assert (events[3].method, events[3].at) == ("google", later)


def test_rehash_keeps_token_version_but_change_password_bumps_it() -> None:
    user = new_user()
    user.rehash("rehashed")
    assert (user.password_hash, user.token_version) == ("rehashed", 0)
    user.change_password("second")
    assert (user.password_hash, user.token_version) == ("second", 1)
    user.change_password("third")
    assert (user.password_hash, user.token_version) == ("third", 2)
    changed = user.collect_events()[-1]
    assert isinstance(changed, User.PasswordChanged)
    assert changed.token_version == 2


def test_revoke_tokens_bumps_version_with_reason() -> None:
    user = new_user()
    user.revoke_tokens("suspicious")
    user.revoke_tokens("again")
    assert user.token_version == 2
    last = user.collect_events()[-1]
    assert isinstance(last, User.TokensRevoked)
    assert (last.token_version, last.reason) == (2, "again")


def test_reset_token_valid_only_while_unspent_and_unexpired() -> None:
    user = new_user()
    user.request_reset(token_hash="t1", expires_at=NOW + HOUR)
    assert user.reset_tokens == {"t1": NOW + HOUR}
    assert user.reset_token_valid("t1", NOW) is True
    assert user.reset_token_valid("t1", NOW + HOUR - dt.timedelta(microseconds=1)) is True
    assert user.reset_token_valid("t1", NOW + HOUR) is False  # expiry is exclusive
    assert user.reset_token_valid("unknown", NOW) is False


def test_expired_reset_token_is_refused() -> None:
    user = new_user()
    user.request_reset(token_hash="t1", expires_at=NOW + HOUR)
    with pytest.raises(ResetTokenInvalid):
        user.reset_password(token_hash="t1", password_hash="new", now=NOW + 2 * HOUR)
    with pytest.raises(ResetTokenInvalid):
        user.reset_password(token_hash="never-issued", password_hash="new", now=NOW)
    assert (user.password_hash, user.token_version) == ("hash-1", 0)


def test_reset_spends_every_outstanding_token_and_bumps_version() -> None:
    user = new_user()
    user.request_reset(token_hash="t1", expires_at=NOW + HOUR)
    user.request_reset(token_hash="t2", expires_at=NOW + 2 * HOUR)
    user.reset_password(token_hash="t1", password_hash="after-reset", now=NOW)
    assert (user.password_hash, user.token_version) == ("after-reset", 1)
    assert user.reset_tokens == {}
    assert user.reset_token_valid("t1", NOW) is False
    assert user.reset_token_valid("t2", NOW) is False
    with pytest.raises(ResetTokenInvalid):
        user.reset_password(token_hash="t1", password_hash="again", now=NOW)
    with pytest.raises(ResetTokenInvalid):
        user.reset_password(token_hash="t2", password_hash="again", now=NOW)
    spent = user.collect_events()[-1]
    assert isinstance(spent, User.PasswordReset)
    assert (spent.token_hash, spent.token_version) == ("t1", 1)


def test_update_profile_rejects_unknown_fields_and_records_only_real_changes() -> None:
    user = new_user()
    with pytest.raises(ValueError, match="is_admin"):
        user.update_profile({"name": "X", "is_admin": True})
    assert user.profile == {"name": "Ada", "country": "UK"}
    assert user.update_profile({"name": "Ada", "country": "UK"}) is False
    assert names(user) == ["auth.UserRegistered"]  # nothing recorded for no-op updates
    assert user.update_profile({"name": "Ada", "country": "FR", "currency": "EUR"}) is True
    (event,) = user.collect_events()
    assert isinstance(event, User.ProfileUpdated)
    assert event.changes == {"country": "FR", "currency": "EUR"}
    assert user.profile == {"name": "Ada", "country": "FR", "currency": "EUR"}


def test_update_preferences_rejects_unknown_fields_and_records_only_real_changes() -> None:
    user = new_user()
    user.collect_events()
    with pytest.raises(ValueError, match="name"):
        user.update_preferences({"name": "not a preference"})
    assert user.update_preferences({"dark_mode": True, "language": "en"}) is True
    assert user.update_preferences({"dark_mode": True}) is False
    assert user.update_preferences({"dark_mode": True, "language": "de"}) is True
    first, second = user.collect_events()
    assert isinstance(first, User.PreferencesUpdated)
    assert isinstance(second, User.PreferencesUpdated)
    assert first.changes == {"dark_mode": True, "language": "en"}
    assert second.changes == {"language": "de"}
    assert user.preferences == {"dark_mode": True, "language": "de"}
    assert not PROFILE_FIELDS & PREFERENCE_FIELDS


def test_deleted_account_refuses_every_command() -> None:
    user = new_user()
    user.request_reset(token_hash="t1", expires_at=NOW + HOUR)
    user.change_password("h2")
    user.delete(NOW)
    assert user.deleted is True
    assert user.token_version == 2
    commands: list[Any] = [
        lambda: user.logged_in(method="password", ip=None, now=NOW),
        lambda: user.login_failed(ip=None, now=NOW),
        lambda: user.rehash("x"),
        lambda: user.change_password("x"),
        lambda: user.request_reset(token_hash="t9", expires_at=NOW + HOUR),
        lambda: user.update_profile({"name": "x"}),
        lambda: user.update_preferences({"dark_mode": False}),
        lambda: user.revoke_tokens("x"),
        lambda: user.delete(NOW),
    ]
    for command in commands:
        with pytest.raises(AccountDeleted):
            command()
    # A token issued before deletion is no longer usable.
    assert user.reset_token_valid("t1", NOW) is False
    with pytest.raises(ResetTokenInvalid):
        user.reset_password(token_hash="t1", password_hash="x", now=NOW)
    assert user.version == 4
    assert names(user)[-1] == "auth.UserDeleted"


def test_email_index_claim_release_reclaim() -> None:
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    index = EmailIndex.claim("Bob@Example.com", first)
    assert index.id == email_index_id("bob@example.com")
    assert index.user_id == first
    with pytest.raises(EmailTaken):
        index.reclaim(second)
    assert index.user_id == first
    index.release()
    assert index.user_id is None
    index.reclaim(second)
    assert index.user_id == second
    with pytest.raises(EmailTaken):
        index.reclaim(third)
    assert names(index) == [
        "auth.EmailIndexClaimed",
        "auth.EmailIndexReleased",
        "auth.EmailIndexReclaimed",
    ]
    assert index.version == 3


def test_email_index_id_is_case_and_space_insensitive() -> None:
    base = email_index_id("carol@example.com")
    assert email_index_id("CAROL@Example.Com") == base
    assert email_index_id("  carol@example.com\t") == base
    assert email_index_id("carol2@example.com") != base
    assert base.version == 5
    assert normalize_email(" MiXeD@Case.IO ") == "mixed@case.io"


@pytest.mark.parametrize(
    ("annual", "monthly"),
    [
        (Decimal("1000.06"), Decimal("83.34")),  # 83.33833...
        (Decimal("0.30"), Decimal("0.03")),  # exactly 0.025: half up, not half even
        (Decimal("1.50"), Decimal("0.13")),  # exactly 0.125
        (Decimal("0.18"), Decimal("0.02")),  # exactly 0.015
        (Decimal("12"), Decimal("1.00")),
        (Decimal("999999999999.99"), Decimal("83333333333.33")),
        (Decimal("0"), Decimal("0.00")),
    ],
)
def test_monthly_income_rounds_half_up_to_cents(annual: Decimal, monthly: Decimal) -> None:
    got = monthly_income(annual)
    assert got == monthly
    assert got is not None
    assert got.as_tuple().exponent == -2


def test_monthly_income_of_none_is_none() -> None:
    assert monthly_income(None) is None
