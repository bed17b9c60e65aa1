"""AuthApplication use cases on the in-memory event store (a spy hasher keeps them fast)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from services.auth.application import (
    AuthApplication,
    InvalidCredentials,
    WeakPassword,
    reset_token_hash,
)
from services.auth.domain import EmailIndex, User
from services.auth.passwords import TOO_COMMON, TOO_SHORT, PasswordHasher, check_password
from services.auth.rules import (
    AccountDeleted,
    EmailTaken,
    NoPassword,
    ResetTokenInvalid,
    email_index_id,
)
from shared.store import to_envelope

NOW = dt.datetime(2024, 6, 1, 9, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(minutes=30)
PASSWORD = "correct horse battery"
NEW_PASSWORD = "tr0ubadour & zebra"


class SpyHasher:
    """A fast Hasher that records what it was asked."""

    def __init__(self) -> None:
        self.hashed: list[str] = []
        self.dummy: list[str] = []
        self.outdated: set[str] = set()

    def hash(self, password: str) -> str:
        self.hashed.append(password)
        return f"spy${len(self.hashed)}${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash.split("$", 2)[-1] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return password_hash in self.outdated

    def dummy_verify(self, password: str) -> None:
        self.dummy.append(password)


@pytest.fixture
def hasher() -> SpyHasher:
    """The spy hasher given to the application."""
    return SpyHasher()


@pytest.fixture
def app(hasher: SpyHasher) -> Iterator[AuthApplication]:
    """An auth write model on the in-memory store."""
    application = AuthApplication().configure(hasher, check_password, admin_emails=["Boss@Mita.io"])
    yield application
    application.close()


def register(app: AuthApplication, email: str = "ada@example.com") -> User:
    """Register a password user and return it."""
    return app.register(
        email=email, password=PASSWORD, profile={}, annual_income=None, now=NOW
    ).user


def test_register_saves_user_and_index_with_monthly_income(app: AuthApplication) -> None:
    saved = app.register(
        email="Ada@Example.com",
        password=PASSWORD,
        profile={"name": "Ada"},
        annual_income=Decimal("1000.06"),
        now=NOW,
    )
    assert saved.position == 2 == app.head_position()  # user and index in one save
    user: User = app.repository.get(saved.user.id)
    assert user.email == "ada@example.com"
    assert user.profile == {"name": "Ada", "income": Decimal("83.34")}
    assert user.annual_income == Decimal("1000.06")
    assert user.is_admin is False
    assert app.hasher.verify(user.password_hash or "", PASSWORD)
    index: EmailIndex = app.repository.get(email_index_id("ada@example.com"))
    assert index.user_id == user.id
    assert app.user_by_email("ADA@example.com ") is not None


def test_explicit_income_is_not_overwritten(app: AuthApplication) -> None:
    user = app.register(
        email="x@example.com",
        password=PASSWORD,
        profile={"income": Decimal("50.00")},
        annual_income=Decimal("1200"),
        now=NOW,
    ).user
    assert user.profile["income"] == Decimal("50.00")


def test_duplicate_email_is_taken_case_insensitively(app: AuthApplication) -> None:
    register(app, "ada@example.com")
    head = app.head_position()
    with pytest.raises(EmailTaken):
        register(app, "  ADA@Example.COM")
    assert app.head_position() == head


def test_admin_emails_make_admins(app: AuthApplication) -> None:
    assert register(app, "boss@mita.io").is_admin is True
    assert register(app, "worker@mita.io").is_admin is False


def test_weak_password_lists_problems_and_saves_nothing(app: AuthApplication) -> None:
    with pytest.raises(WeakPassword) as info:
        app.register(email="a@b.io", password="short", profile={}, annual_income=None, now=NOW)
    assert info.value.problems == [TOO_SHORT]
    with pytest.raises(WeakPassword) as info:
        app.register(email="a@b.io", password="password", profile={}, annual_income=None, now=NOW)
    assert TOO_COMMON in info.value.problems
    assert str(info.value) == "; ".join(info.value.problems)
    assert app.head_position() == 0
    assert app.user_by_email("a@b.io") is None


def test_login_ok_and_wrong_password(app: AuthApplication, hasher: SpyHasher) -> None:
    user = register(app)
    with pytest.raises(InvalidCredentials):
        app.login(email="ada@example.com", password="wrong password", ip="1.1.1.1", now=NOW)
    failed: User = app.repository.get(user.id)
    assert failed.failed_logins == 1
    (notification,) = app.recorder.select_notifications(start=3, limit=1)
    recorded = to_envelope("auth", notification.id, notification)
    assert recorded.type == "auth.UserLoginFailed"
    assert recorded.aggregate_id == user.id
    assert recorded.payload["ip"] == "1.1.1.1"
    later = NOW + dt.timedelta(minutes=1)
    saved = app.login(email="ADA@example.com", password=PASSWORD, ip="1.1.1.1", now=later)
    assert saved.user.last_login == later
    assert saved.user.failed_logins == 0
    assert saved.position == app.head_position() == 4
    assert hasher.dummy == []


def test_unknown_or_deleted_email_spends_a_dummy_verify(
    app: AuthApplication, hasher: SpyHasher
) -> None:
    with pytest.raises(InvalidCredentials):
        app.login(email="nobody@example.com", password="guess-1", ip=None, now=NOW)
    user = register(app)
    app.delete_account(user.id, password=PASSWORD, now=NOW)
    with pytest.raises(InvalidCredentials):
        app.login(email="ada@example.com", password=PASSWORD, ip=None, now=NOW)
    assert hasher.dummy == ["guess-1", PASSWORD]


def test_google_account_password_login_spends_dummy_verify(
    app: AuthApplication, hasher: SpyHasher
) -> None:
    app.google_login(uid="g1", email="g@example.com", name=None, ip=None, now=NOW)
    with pytest.raises(InvalidCredentials):
        app.login(email="g@example.com", password="anything", ip=None, now=NOW)
    assert hasher.dummy == ["anything"]


def test_outdated_hash_is_rehashed_on_login(app: AuthApplication, hasher: SpyHasher) -> None:
    user = register(app)
    old = user.password_hash
    assert old is not None
    hasher.outdated.add(old)
    saved = app.login(email="ada@example.com", password=PASSWORD, ip=None, now=NOW)
    assert saved.user.password_hash != old
    assert hasher.hashed == [PASSWORD, PASSWORD]
    assert saved.user.token_version == 0  # a rehash does not log anyone out
    stored: User = app.repository.get(user.id)
    assert stored.password_hash == saved.user.password_hash
    # The new hash is current: the next login does not hash again.
    app.login(email="ada@example.com", password=PASSWORD, ip=None, now=NOW)
    assert len(hasher.hashed) == 2


def test_google_login_registers_once_then_logs_in(app: AuthApplication) -> None:
    first = app.google_login(uid="g-1", email="G@Example.com", name="Gee", ip="2.2.2.2", now=NOW)
    assert first.user.provider == "google"
    assert (first.user.google_uid, first.user.password_hash) == ("g-1", None)
    assert first.user.profile == {"name": "Gee"}
    assert first.user.last_login == NOW
    assert first.position == 3  # registered, index claimed, logged in
    later = NOW + dt.timedelta(hours=1)
    again = app.google_login(uid="g-1", email="g@example.com", name="Other", ip=None, now=later)
    assert again.user.id == first.user.id
    assert again.user.profile == {"name": "Gee"}
    assert again.user.last_login == later
    assert again.position == 4
    nameless = app.google_login(uid="g-2", email="n@example.com", name=None, ip=None, now=NOW)
    assert nameless.user.profile == {}


def test_change_password(app: AuthApplication) -> None:
    user = register(app)
    with pytest.raises(InvalidCredentials):
        app.change_password(user.id, current="not it", new=NEW_PASSWORD)
    with pytest.raises(WeakPassword):
        app.change_password(user.id, current=PASSWORD, new="ada@example.com")
    saved = app.change_password(user.id, current=PASSWORD, new=NEW_PASSWORD)
    assert saved.user.token_version == 1
    with pytest.raises(InvalidCredentials):
        app.login(email="ada@example.com", password=PASSWORD, ip=None, now=NOW)
    assert app.login(email="ada@example.com", password=NEW_PASSWORD, ip=None, now=NOW)
    with pytest.raises(KeyError):
        app.change_password(uuid.uuid4(), current=PASSWORD, new=NEW_PASSWORD)


def test_change_password_of_google_account_has_no_password(app: AuthApplication) -> None:
    user = app.google_login(uid="g", email="g@example.com", name=None, ip=None, now=NOW).user
    with pytest.raises(NoPassword):
        app.change_password(user.id, current="", new=NEW_PASSWORD)


def test_forgot_password_token_for_known_email_only(app: AuthApplication) -> None:
    user = register(app)
    assert app.forgot_password("unknown@example.com", now=NOW, ttl=TTL) is None
    head = app.head_position()
    token = app.forgot_password("ADA@example.com", now=NOW, ttl=TTL)
    assert token is not None
    assert token.startswith(f"{user.id.hex}.")
    assert app.head_position() == head + 1
    stored: User = app.repository.get(user.id)
    assert stored.reset_tokens == {reset_token_hash(token): NOW + TTL}
    assert token not in str(stored.reset_tokens)  # only the hash is kept
    assert app.forgot_password("ada@example.com", now=NOW, ttl=TTL) != token


def test_reset_password_flow(app: AuthApplication) -> None:
    user = register(app)
    token = app.forgot_password("ada@example.com", now=NOW, ttl=TTL)
    assert token is not None
    assert app.reset_token_valid(token, NOW) is True
    assert app.reset_token_valid(token, NOW + TTL) is False
    with pytest.raises(ResetTokenInvalid):
        app.reset_password(token, NEW_PASSWORD, now=NOW + TTL + dt.timedelta(seconds=1))
    with pytest.raises(WeakPassword):
        app.reset_password(token, "12345678", now=NOW)
    assert app.reset_token_valid(token, NOW) is True  # a refused password spends nothing
    saved = app.reset_password(token, NEW_PASSWORD, now=NOW)
    assert saved.user.token_version == 1
    assert app.reset_token_valid(token, NOW) is False
    with pytest.raises(ResetTokenInvalid):
        app.reset_password(token, "another good passphrase", now=NOW)
    assert app.login(email="ada@example.com", password=NEW_PASSWORD, ip=None, now=NOW)
    assert saved.user.id == user.id


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "not-hex.abc", f"{uuid.uuid4().hex}.unknown-user", "." * 5],
)
def test_malformed_reset_tokens_are_invalid(app: AuthApplication, token: str) -> None:
    register(app)
    assert app.reset_token_valid(token, NOW) is False
    with pytest.raises(ResetTokenInvalid):
        app.reset_password(token, NEW_PASSWORD, now=NOW)


def test_forged_token_for_real_user_is_invalid(app: AuthApplication) -> None:
    user = register(app)
    app.forgot_password("ada@example.com", now=NOW, ttl=TTL)
    forged = f"{user.id.hex}.forged-secret"
    assert app.reset_token_valid(forged, NOW) is False
    with pytest.raises(ResetTokenInvalid):
        app.reset_password(forged, NEW_PASSWORD, now=NOW)


def test_reset_token_naming_an_email_index_is_invalid(app: AuthApplication) -> None:
    register(app)
    token = f"{email_index_id('ada@example.com').hex}.x"
    assert app.reset_token_valid(token, NOW) is False
    with pytest.raises(ResetTokenInvalid):
        app.reset_password(token, NEW_PASSWORD, now=NOW)


def test_reset_token_of_deleted_account_is_invalid(app: AuthApplication) -> None:
    user = register(app)
    token = app.forgot_password("ada@example.com", now=NOW, ttl=TTL)
    assert token is not None
    app.delete_account(user.id, password=PASSWORD, now=NOW)
    assert app.reset_token_valid(token, NOW) is False
    with pytest.raises(ResetTokenInvalid):
        app.reset_password(token, NEW_PASSWORD, now=NOW)


def test_update_profile_and_preferences(app: AuthApplication) -> None:
    user = register(app)
    head = app.head_position()
    saved = app.update_profile(user.id, {"name": "Ada", "country": "DE"}, {"dark_mode": True})
    assert saved.position == head + 2
    assert saved.user.profile == {"name": "Ada", "country": "DE"}
    assert saved.user.preferences == {"dark_mode": True}
    same = app.update_profile(user.id, {"name": "Ada"}, {"dark_mode": True})
    assert app.head_position() == head + 2  # no change, nothing stored
    assert same.position == head + 2
    with pytest.raises(ValueError, match="email"):
        app.update_profile(user.id, {"email": "evil@example.com"}, {})
    with pytest.raises(ValueError, match="is_admin"):
        app.update_profile(user.id, {"name": "New"}, {"is_admin": True})
    stored: User = app.repository.get(user.id)
    assert stored.profile == {"name": "Ada", "country": "DE"}  # refused update left no trace
    assert stored.email == "ada@example.com"


def test_delete_account_checks_password_and_releases_email(app: AuthApplication) -> None:
    user = register(app)
    with pytest.raises(InvalidCredentials):
        app.delete_account(user.id, password="wrong", now=NOW)
    with pytest.raises(InvalidCredentials):
        app.delete_account(user.id, password=None, now=NOW)
    assert app.user(user.id).deleted is False
    saved = app.delete_account(user.id, password=PASSWORD, now=NOW)
    assert saved.user.deleted is True
    assert saved.user.token_version == 1
    index: EmailIndex = app.repository.get(email_index_id("ada@example.com"))
    assert index.user_id is None
    assert app.user_by_email("ada@example.com") is None
    with pytest.raises(AccountDeleted):
        app.user(user.id)
    with pytest.raises(AccountDeleted):
        app.update_profile(user.id, {"name": "ghost"}, {})
    with pytest.raises(KeyError):
        app.user(uuid.uuid4())


def test_google_account_deletes_without_password(app: AuthApplication) -> None:
    user = app.google_login(uid="g", email="g@example.com", name=None, ip=None, now=NOW).user
    assert app.delete_account(user.id, password=None, now=NOW).user.deleted is True


def test_reregister_after_delete_reclaims_email(app: AuthApplication) -> None:
    old = register(app, "ada@example.com")
    app.delete_account(old.id, password=PASSWORD, now=NOW)
    new = register(app, "Ada@Example.com")
    assert new.id != old.id
    index: EmailIndex = app.repository.get(email_index_id("ada@example.com"))
    assert index.user_id == new.id
    assert index.version == 3  # claimed, released, reclaimed
    found = app.user_by_email("ada@example.com")
    assert found is not None
    assert found.id == new.id
    with pytest.raises(EmailTaken):
        register(app, "ada@example.com")


def test_positions_increase(app: AuthApplication) -> None:
    user = register(app)
    positions = [app.head_position()]
    positions.append(app.login(email=user.email, password=PASSWORD, ip=None, now=NOW).position)
    positions.append(app.update_profile(user.id, {"name": "A"}, {}).position)
    revoked = app.revoke_tokens(user.id, "logout-all")
    assert revoked.user.token_version == app.user(user.id).token_version == 1
    positions.append(revoked.position)
    positions.append(app.change_password(user.id, current=PASSWORD, new=NEW_PASSWORD).position)
    positions.append(app.delete_account(user.id, password=NEW_PASSWORD, now=NOW).position)
    assert positions == [2, 3, 4, 5, 6, 8]


def test_real_argon2_hasher_end_to_end() -> None:
    app = AuthApplication().configure(PasswordHasher(), check_password)
    try:
        user = app.register(
            email="real@example.com", password=PASSWORD, profile={}, annual_income=None, now=NOW
        ).user
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in user.password_hash
        with pytest.raises(InvalidCredentials):
            app.login(email="real@example.com", password="Correct horse battery", ip=None, now=NOW)
        saved = app.login(email="real@example.com", password=PASSWORD, ip=None, now=NOW)
        assert saved.user.password_hash == user.password_hash  # current parameters: no rehash
        with pytest.raises(InvalidCredentials):
            app.login(email="nobody@example.com", password=PASSWORD, ip=None, now=NOW)
    finally:
        app.close()
