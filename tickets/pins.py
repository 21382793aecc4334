"""PINs keyed on a phone (a ticket's status PIN, an analyst's phone-login PIN): kept only as a
keyed HMAC-SHA256 with a salt of its own, checked at the same cost whether or not there is a
hash to check against.

A slow hash does not protect a PIN of 4 digits (10^4 guesses are minutes of argon2 offline);
what does is the key, which is not in the database (it is derived from the app's
``SECRET_KEY``: ``ivr.create_app`` calls ``use_secret``), and the limits on tries that every
place checking a PIN keeps (``tickets.intake``, ``ivr.queues.agents``). So a PIN costs
microseconds to hash and to check, not 30 ms of CPU and 19 MiB of memory inside the turn's
transaction. PINs hashed with argon2 before still verify; ``needs_rehash`` then says to store
the new form. Changing ``SECRET_KEY`` makes every stored PIN fail (an admin sets new ones).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

PIN_FORMAT = re.compile(r"\d{4,8}")
SCHEME = "hmac-sha256"  # stored as  hmac-sha256$<salt, base64>$<mac, hex>
_CONTEXT = b"helpdesk-ivr PIN key v1"
_DEFAULT_SECRET = "dev-only-change-me"  # ivr.config's development SECRET_KEY
_key = hmac.digest(_DEFAULT_SECRET.encode(), _CONTEXT, "sha256")
_STAND_IN = f"{SCHEME}${base64.b64encode(bytes(16)).decode()}${'0' * 64}"


def use_secret(secret: str) -> None:
    """Key PINs with a key derived from this secret (the app's SECRET_KEY), for the process."""
    global _key
    _key = hmac.digest(secret.encode(), _CONTEXT, "sha256")


def new_pin() -> str:
    """A random four-digit PIN."""
    return f"{secrets.randbelow(10000):04d}"


def _mac(salt: bytes, pin: str) -> str:
    return hmac.new(_key, salt + pin.encode(), hashlib.sha256).hexdigest()


def hash_pin(pin: str) -> str:
    """The hash to keep of a PIN of 4 to 8 digits (ValueError for anything else)."""
    if not PIN_FORMAT.fullmatch(pin or ""):
        raise ValueError("a PIN is 4 to 8 digits")
    salt = secrets.token_bytes(16)
    return f"{SCHEME}${base64.b64encode(salt).decode()}${_mac(salt, pin)}"


def pin_matches(stored: str | None, pin: str | None) -> bool:
    """Does the PIN match the stored hash? With no hash, the same work is done and the
    answer is no: the time taken does not tell whether there was one."""
    if stored is not None and stored.startswith("$argon2"):
        return _argon2_matches(stored, str(pin or ""))
    _scheme, _, rest = (stored or _STAND_IN).partition("$")
    salt_text, _, mac = rest.partition("$")
    try:
        salt = base64.b64decode(salt_text, validate=True)
    except ValueError:
        salt, mac = bytes(16), ""
    same = hmac.compare_digest(_mac(salt, str(pin or "")), mac)
    return same and stored is not None and _scheme == SCHEME


def needs_rehash(stored: str | None) -> bool:
    """Is this hash of an older kind (argon2), to be replaced once the PIN is known?"""
    return stored is not None and not stored.startswith(SCHEME + "$")


def _argon2_matches(stored: str, pin: str) -> bool:
    """A PIN kept as argon2 before PINs were keyed (argon2 is loaded only for these)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored, pin)
    except (VerificationError, InvalidHashError):
        return False
