"""PINs keyed on a phone (a ticket's status PIN, an analyst's phone-login PIN): kept only as
argon2 hashes, checked at the same cost whether or not there is a hash to check against."""

from __future__ import annotations

import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# PINs are short by nature: the hash keeps them unreadable at rest, and every place that
# checks one limits the tries (tickets.intake, ivr.queues.agents).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
PIN_FORMAT = re.compile(r"\d{4,8}")


def new_pin() -> str:
    """A random four-digit PIN."""
    return f"{secrets.randbelow(10000):04d}"


def hash_pin(pin: str) -> str:
    """The hash to keep of a PIN of 4 to 8 digits (ValueError for anything else)."""
    if not PIN_FORMAT.fullmatch(pin or ""):
        raise ValueError("a PIN is 4 to 8 digits")
    return _hasher.hash(pin)


def pin_matches(stored: str | None, pin: str | None) -> bool:
    """Does the PIN match the stored hash? With no hash, the same work is done and the
    answer is no: the time taken does not tell whether there was one."""
    try:
        return _hasher.verify(stored or _stand_in(), str(pin or "")) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _stand_in() -> str:
    return _hasher.hash(secrets.token_urlsafe(8))
