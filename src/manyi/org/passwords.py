"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10
# A short list of passwords people at banks actually try; the length and
# character-class rules already refuse most of the rest.
COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "abc1234567",
        "a123456789",
        "admin12345",
        "welcome123",
        "iloveyou12",
        "88888888aa",
        "aa12345678",
    }
)


class WeakPasswordError(ValueError):
    pass


def check_policy(password: str, username: str = "") -> None:
    """Raise `WeakPasswordError` with a plain reason when the password is too weak."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"password must be at least {MIN_LENGTH} characters")
    if len(password) > 128:
        raise WeakPasswordError("password must be at most 128 characters")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise WeakPasswordError("password must contain both letters and digits")
    if password.lower() in COMMON_PASSWORDS:
        raise WeakPasswordError("password is too common")
    if username and username.lower() in password.lower():
        raise WeakPasswordError("password must not contain the username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash to verify against when the username does not exist, so that the
# answer takes as long as for a real account (no user enumeration by timing).
DUMMY_HASH = _hasher.hash("manyi-no-such-user-0")


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int
    minutes: int

    def locked_until_after_failure(self, failures: int, now: dt.datetime) -> dt.datetime | None:
        """The end of the lockout caused by the `failures`-th failure in a row, if any."""
        if failures >= self.threshold:
            return now + dt.timedelta(minutes=self.minutes)
        return None
