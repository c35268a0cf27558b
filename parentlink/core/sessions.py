"""The session cookie's serializer, made once per secret key instead of once per request.

Flask's SecureCookieSessionInterface builds a new URLSafeTimedSerializer (and its signer)
in get_signing_serializer, called twice a request (open and save). The serializer holds no
per-request state, so one per (secret key, fallback keys) is kept; changing SECRET_KEY makes
a new one, and cookies signed with the old key stop opening.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._kept: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[1]
        serializer = super().get_signing_serializer(app)
        self._kept = (key, serializer)
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = KeptSerializerSessionInterface()
