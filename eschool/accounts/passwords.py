"""Initial passwords for imported accounts.

An imported student, parent or teacher gets an initial password that the school
prints on a sheet (per homeroom; per school for teachers) and that must be
changed at first login. It is derived (HMAC of the secret key, the user and a
random nonce) rather than stored, so a copy of the database alone reveals no
child's password, and hashing tens of thousands of accounts with Argon2 is not
needed at import time. A reset draws a new nonce; the first password change
clears it, and from then on only the Argon2 hash counts.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare

# No 0/O, 1/I/l: the sheet is read off paper by children and grandparents.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_nonce() -> str:
    return secrets.token_hex(8)


def initial_password(user) -> str | None:
    """The initial password of `user`, or None once they have chosen their own."""
    if not user.initial_password_nonce:
        return None
    message = f"initial-password:{user.pk}:{user.initial_password_nonce}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


def check_initial_password(user, raw_password: str) -> bool:
    expected = initial_password(user)
    return expected is not None and constant_time_compare(expected, raw_password.strip().lower())
