"""Password hashing (argon2id at the OWASP floor) and the NIST SP 800-63B password policy."""

from __future__ import annotations

import functools
import itertools
import unicodedata
from importlib import resources

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
MEMORY_COST_KIB = 19_456
TIME_COST = 2
PARALLELISM = 1

MIN_LENGTH = 8
MAX_LENGTH = 128

# A real argon2id hash with exactly our parameters: verifying against it costs what a real
# verify costs, so a login for an unknown email takes as long as one for a known email.
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$iP1+w+j4WyUXP6nK7yhYnA"
    "$4XbqaeMfSXIbZOc38GKyfk63nWZNedAa/+bysCN2LVs"
)
_BLOCKLIST_RESOURCE = "common_passwords.txt"
_MAX_PATTERN_UNIT = 4

TOO_SHORT = f"Password must be at least {MIN_LENGTH} characters long."
TOO_LONG = f"Password must be at most {MAX_LENGTH} characters long."
TOO_COMMON = "Password is too common; it appears in lists of leaked passwords."
IS_EMAIL = "Password must not be your email address or its name part."
REPEATED = "Password must not be a single character or a short pattern repeated."
SEQUENCE = "Password must not be a simple sequence such as 12345678 or abcdefgh."


def normalize(password: str) -> str:
    """Return the NFKC form of ``password`` (what is measured, checked and hashed)."""
    return unicodedata.normalize("NFKC", password)


class PasswordHasher:
    """argon2id hashing with rehash-on-login support; run it off the event loop (~50 ms)."""

    def __init__(self) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=TIME_COST,
            memory_cost=MEMORY_COST_KIB,
            parallelism=PARALLELISM,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        """Hash ``password`` (NFKC-normalized) with a fresh random salt."""
        return self._hasher.hash(normalize(password))

    def verify(self, hash: str, password: str) -> bool:
        """True when ``password`` matches ``hash``; False on mismatch or a malformed hash."""
        try:
            return self._hasher.verify(hash, normalize(password))
        except (VerificationError, InvalidHashError, ValueError, TypeError):
            return False

    def needs_rehash(self, hash: str) -> bool:
        """True when ``hash`` was made with other parameters (or is unreadable): rehash it."""
        try:
            return self._hasher.check_needs_rehash(hash)
        except (InvalidHashError, ValueError, TypeError):
            return True

    def dummy_verify(self, password: str) -> None:
        """Spend the time of one real verify, for unknown accounts (no timing oracle)."""
        self.verify(_DUMMY_HASH, password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The blocklist of common/leaked passwords, casefolded (loaded once, on first use)."""
    text = (
        resources.files("services.auth").joinpath(_BLOCKLIST_RESOURCE).read_text(encoding="utf-8")
    )
    entries = (normalize(line.strip()).casefold() for line in text.splitlines())
    return frozenset(e for e in entries if e and not e.startswith("#"))


def _is_repeated_pattern(folded: str) -> bool:
    """True for one character or a unit of up to four characters repeated ("abababab")."""
    for unit in range(1, _MAX_PATTERN_UNIT + 1):
        if len(folded) >= 2 * unit:
            pattern = folded[:unit]
            repeats = pattern * (len(folded) // unit + 1)
            if repeats[: len(folded)] == folded:
                return True
    return False


def _is_sequence(folded: str) -> bool:
    """True for an ascending or descending run ("12345678", "hgfedcba", "78901234")."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(folded)}
    if steps in ({1}, {-1}):
        return True
    if folded.isascii() and folded.isdigit():
        digit_steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(folded)}
        return digit_steps in ({1}, {9})
    return False


def _matches_email(folded: str, email: str | None) -> bool:
    """True when the password is the email address or its local part."""
    if not email:
        return False
    address = normalize(email.strip()).casefold()
    local = address.rsplit("@", 1)[0]
    return folded.strip() in {address, local}


def check_password(password: str, *, email: str | None = None) -> list[str]:
    """Problems with ``password`` under NIST SP 800-63B (an empty list means acceptable)."""
    text = normalize(password)
    length = len(text)
    if length < MIN_LENGTH:
        return [TOO_SHORT]
    if length > MAX_LENGTH:
        return [TOO_LONG]
    folded = text.casefold()
    problems: list[str] = []
    if folded in common_passwords() or folded.strip() in common_passwords():
        problems.append(TOO_COMMON)
    if _matches_email(folded, email):
        problems.append(IS_EMAIL)
    if _is_repeated_pattern(folded):
        problems.append(REPEATED)
    elif _is_sequence(folded):
        problems.append(SEQUENCE)
    return problems
