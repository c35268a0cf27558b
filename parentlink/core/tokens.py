"""Personal-link tokens: 128-bit random, only their SHA-256 is stored, never logged."""

from __future__ import annotations

import base64
import hashlib
import secrets

TOKEN_BYTES = 16  # 128 bits
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_tokens(count: int) -> list[str]:
    """`count` tokens like new_token's, from one read of the system's random source."""
    data = secrets.token_bytes(TOKEN_BYTES * count)
    return [
        base64.urlsafe_b64encode(data[i : i + TOKEN_BYTES]).rstrip(b"=").decode("ascii")
        for i in range(0, len(data), TOKEN_BYTES)
    ]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    return 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def new_reference(prefix: str, length: int = 6) -> str:
    """A short reference a parent can read out on the phone: unambiguous characters only."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
    return f"{prefix}-{body}"
