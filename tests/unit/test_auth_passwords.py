"""Unit tests of argon2id password hashing and the NIST SP 800-63B policy (no I/O)."""

from __future__ import annotations

import time
from collections.abc import Callable

import argon2
import pytest
from argon2.low_level import Type

from services.auth import passwords
from services.auth.passwords import (
    IS_EMAIL,
    REPEATED,
    SEQUENCE,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    PasswordHasher,
    check_password,
    common_passwords,
)

GOOD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    """One hasher for the module."""
    return PasswordHasher()


@pytest.fixture(scope="module")
def stored(hasher: PasswordHasher) -> str:
    """A hash of the good passphrase."""
    return hasher.hash(GOOD)


# --- hashing -----------------------------------------------------------------------------


def test_hash_verify_roundtrip(hasher: PasswordHasher, stored: str) -> None:
    assert stored != GOOD
    assert hasher.verify(stored, GOOD) is True


def test_each_hash_has_its_own_salt(hasher: PasswordHasher, stored: str) -> None:
    again = hasher.hash(GOOD)
    assert again != stored
    assert hasher.verify(again, GOOD)


def test_wrong_password_is_false(hasher: PasswordHasher, stored: str) -> None:
    assert hasher.verify(stored, GOOD + "!") is False
    assert hasher.verify(stored, "") is False
    assert hasher.verify(stored, GOOD.upper()) is False


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$",
        "$2b$12$abcdefghijklmnopqrstuuM0Uq0QyJ3Qb5h1nQnJ7sS3pQpZ5yN5m",
        "$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
    ],
)
def test_malformed_hash_is_false_not_an_error(hasher: PasswordHasher, malformed: str) -> None:
    assert hasher.verify(malformed, GOOD) is False
    assert hasher.needs_rehash(malformed) is True


def test_encoded_parameters_are_the_owasp_floor(stored: str) -> None:
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    params = argon2.extract_parameters(stored)
    assert params.type is Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19_456, 2, 1)


def test_own_hash_needs_no_rehash(hasher: PasswordHasher, stored: str) -> None:
    assert hasher.needs_rehash(stored) is False


@pytest.mark.parametrize(
    ("time_cost", "memory_cost", "kind"),
    [(1, 8192, Type.ID), (1, 19_456, Type.ID), (2, 8192, Type.ID), (2, 19_456, Type.I)],
)
def test_weaker_or_different_hash_needs_rehash_but_still_verifies(
    hasher: PasswordHasher, time_cost: int, memory_cost: int, kind: Type
) -> None:
    old = argon2.PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=1, type=kind
    ).hash(GOOD)
    assert hasher.verify(old, GOOD) is True
    assert hasher.needs_rehash(old) is True


def test_unicode_is_normalized_before_hashing(hasher: PasswordHasher) -> None:
    decomposed = "cafe\u0301 au lait, s'il vous pla\u0131\u0302t"
    composed = "caf\u00e9 au lait, s'il vous pla\u0131\u0302t"
    assert hasher.verify(hasher.hash(decomposed), composed)


def test_dummy_hash_uses_current_parameters(hasher: PasswordHasher) -> None:
    assert hasher.needs_rehash(passwords._DUMMY_HASH) is False


def test_dummy_verify_costs_about_a_real_verify(hasher: PasswordHasher, stored: str) -> None:
    def best_of(fn: Callable[[], object], runs: int = 3) -> float:
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            timings.append(time.perf_counter() - start)
        return min(timings)

    real = best_of(lambda: hasher.verify(stored, "wrong password"))
    dummy = best_of(lambda: hasher.dummy_verify("wrong password"))
    assert hasher.dummy_verify("anything") is None  # type: ignore[func-returns-value]
    assert dummy > real / 3
    assert dummy < real * 3


# --- policy ------------------------------------------------------------------------------


def test_good_passphrase_passes() -> None:
    assert check_password(GOOD) == []
    assert check_password(GOOD, email="alice@example.com") == []
    assert check_password("Tr0ub4dor&3-xylophone") == []


def test_no_composition_rules() -> None:
    assert check_password("lowercase only words here") == []
    assert check_password("zebra giraffe") == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("k9#Lp2x", [TOO_SHORT]),
        ("k9#Lp2xQ", []),
        ("", [TOO_SHORT]),
    ],
)
def test_length_lower_boundary(password: str, expected: list[str]) -> None:
    assert check_password(password) == expected


def _long(n: int) -> str:
    """A non-repeating, non-sequential string of exactly ``n`` code points."""
    words = "vivid otter quartz meadow lantern forge pebble sonnet harbor violet "
    text = (words * (n // len(words) + 1))[: n - 1] + "!"
    assert len(text) == n
    return text


def test_length_upper_boundary() -> None:
    assert check_password(_long(128)) == []
    assert check_password(_long(129)) == [TOO_LONG]
    assert check_password(_long(10_000)) == [TOO_LONG]


def test_length_counts_code_points_not_bytes() -> None:
    emoji7 = "\U0001f512\U0001f511\U0001f319\u2b50\U0001f388\U0001f340\U0001f3b5"
    assert len(emoji7.encode()) > 8
    assert check_password(emoji7) == [TOO_SHORT]
    assert check_password(emoji7 + "\U0001f680") == []
    assert check_password("\u00fcber-gr\u00fc\u00dfe") == []


def test_length_is_measured_after_nfkc() -> None:
    decomposed = "Cafe\u0301Bar"  # 8 code points raw, 7 after NFKC composes e + acute
    assert len(decomposed) == 8
    assert check_password(decomposed) == [TOO_SHORT]
    ligature = "\ufb01x7Qz!9"  # 7 raw, 8 after NFKC ("fi" ligature becomes two letters)
    assert len(ligature) == 7
    assert check_password(ligature) == []


def test_blocklist_is_real_and_loaded_once() -> None:
    entries = common_passwords()
    assert common_passwords() is entries
    assert len(entries) >= 300
    assert all(len(e) >= 8 for e in entries)
    for known in ("password", "password1", "12345678", "qwertyuiop", "iloveyou", "trustno1"):
        assert known in entries


@pytest.mark.parametrize(
    "password",
    ["password", "PASSWORD", "Password1", "iLoveYou", "QwErTyUiOp", "P@ssw0rd", "letmein1 "],
)
def test_blocklist_is_case_insensitive(password: str) -> None:
    assert TOO_COMMON in check_password(password)


def test_blocklist_matches_whole_password_only() -> None:
    assert check_password("password is not my password") == []


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("alice.smith@example.com", "alice.smith@example.com"),
        ("Alice.Smith@Example.com", "alice.smith@example.com"),
        ("alice.smith", "Alice.Smith@example.com"),
        ("ALICE.SMITH", "alice.smith@example.com"),
    ],
)
def test_email_or_local_part_is_rejected(password: str, email: str) -> None:
    assert IS_EMAIL in check_password(password, email=email)


def test_email_rule_needs_an_email() -> None:
    assert check_password("alice.smith") == []
    assert check_password("alice.smith", email="") == []
    assert check_password("alice.smith", email="bob.jones@example.com") == []


@pytest.mark.parametrize(
    "password", ["aaaaaaaa", "ZZZZZZZZZZZZ", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"]
)
def test_single_repeated_character_is_rejected(password: str) -> None:
    assert REPEATED in check_password(password)


@pytest.mark.parametrize("password", ["abababab", "xyzxyzxyz", "wxyzwxyzw", "9a9a9a9a9a"])
def test_short_repeated_pattern_is_rejected(password: str) -> None:
    assert REPEATED in check_password(password)


@pytest.mark.parametrize(
    "password",
    ["12345678", "123456789", "87654321", "abcdefgh", "HGFEDCBA", "lmnopqrstu", "78901234"],
)
def test_simple_sequences_are_rejected(password: str) -> None:
    assert SEQUENCE in check_password(password)


def test_near_sequences_pass() -> None:
    assert check_password("13572468") == []
    assert check_password("abcdefgz") == []


def test_several_problems_are_all_reported() -> None:
    problems = check_password("password", email="password@example.com")
    assert TOO_COMMON in problems
    assert IS_EMAIL in problems
