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
    """How sign-in slows down guessing without handing anyone a way to lock others out.

    Failures are counted three ways: for one account from one client address (the guesser at
    the keyboard), for one address across accounts (a script trying many names), and for one
    account from anywhere. Each, past its threshold, closes the door for a back-off that doubles
    with every further failure, from `base_s` up to `minutes`: never longer, so nobody can lock
    an account for good, and an administrator can always unlock it at once. The account-wide
    count needs `spread` times the threshold, so a stranger hammering someone's name from one
    address slows only that address; the owner, elsewhere, still signs in.
    """

    threshold: int
    minutes: int
    base_s: int = 30
    spread: int = 4

    @property
    def account_threshold(self) -> int:
        return self.threshold * self.spread

    def backoff_until(self, failures: int, threshold: int, now: dt.datetime) -> dt.datetime | None:
        """When the `failures`-th failure in a row lets the next attempt in (None: at once)."""
        if failures < threshold:
            return None
        doublings = min(failures - threshold, 30)  # 2**30 s is far past any cap
        wait = min(self.base_s * 2**doublings, self.minutes * 60)
        return now + dt.timedelta(seconds=wait)

    def locked_until_after_failure(self, failures: int, now: dt.datetime) -> dt.datetime | None:
        """The account-wide lock after the `failures`-th failure in a row, from anywhere."""
        return self.backoff_until(failures, self.account_threshold, now)
