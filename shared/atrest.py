"""Event payloads encrypted at rest: the eventsourcing library's AES-GCM cipher, keyed.

``MITA_CIPHER_KEY`` (base64 of 16, 24 or 32 bytes; ``mita keys new`` makes one)
turns it on; prod refuses to start without it. Each stored state is written as
``MARK + key id + nonce + tag + ciphertext``: the mark tells an encrypted state from a
plaintext one (events stored before encryption was turned on stay readable) and the key id
(8 bytes of the key's SHA-256) picks the key, so rotation is: make a new key, set it as
``MITA_CIPHER_KEY`` and move the old one into ``MITA_CIPHER_OLD_KEYS`` (comma separated).
New events use the new key; old ones still open with the old key (docs/operations.md).

Raw readers (relay, rebuilds, replay) open states through :func:`open_state`, which knows
every key in the process environment and every key an application of this process was given.
"""

from __future__ import annotations

import os
import threading

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from shared.cipherkeys import KEY_ID_BYTES, CipherKeyError, key_id

MARK = b"\x00mita-aes1"
CIPHER_KEY_ENV = "MITA_CIPHER_KEY"
OLD_KEYS_ENV = "MITA_CIPHER_OLD_KEYS"
CIPHER_TOPIC = "shared.atrest:AtRestCipher"

_known: dict[bytes, AESCipher] = {}
_lock = threading.Lock()


def remember(*keys: str) -> None:
    """Make these keys known to :func:`open_state` in this process."""
    for key in keys:
        if key.strip():
            kid = key_id(key)
            with _lock:
                if kid not in _known:
                    _known[kid] = AESCipher(Environment(env={"CIPHER_KEY": key.strip()}))


def _environment_keys() -> list[str]:
    return [os.environ.get(CIPHER_KEY_ENV, ""), *os.environ.get(OLD_KEYS_ENV, "").split(",")]


class AtRestCipher(AESCipher):
    """The library's AES-GCM cipher writing a marked, key-identified state (see module)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        key = str(environment.get(self.CIPHER_KEY) or "")
        self.kid = key_id(key)
        remember(key, *str(environment.get("CIPHER_OLD_KEYS") or "").split(","))

    def encrypt(self, plaintext: bytes) -> bytes:
        """Marked ciphertext under the current key."""
        return MARK + self.kid + super().encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        """The plaintext of a marked state (under any known key), or an unmarked one as is."""
        return open_state(ciphertext)


def is_sealed(state: bytes) -> bool:
    """Whether a stored state is encrypted at rest."""
    return state[: len(MARK)] == MARK


def open_state(state: bytes) -> bytes:
    """The plaintext of a stored state; plaintext states pass through unchanged."""
    if not is_sealed(state):
        return state
    kid = state[len(MARK) : len(MARK) + KEY_ID_BYTES]
    cipher = _known.get(kid)
    if cipher is None:
        remember(*_environment_keys())
        cipher = _known.get(kid)
    if cipher is None:
        raise CipherKeyError(
            f"event encrypted under key id {kid.hex()}, which is neither {CIPHER_KEY_ENV} "
            f"nor in {OLD_KEYS_ENV}"
        )
    return cipher.decrypt(state[len(MARK) + KEY_ID_BYTES :])


def forget() -> None:
    """Forget every remembered key (as a fresh process would start)."""
    with _lock:
        _known.clear()
