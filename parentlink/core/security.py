"""Security headers on every response; stricter ones on pages reached by a personal link."""

from __future__ import annotations

from flask import Flask, Response, g, request

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def mark_token_page() -> None:
    """Call from a view whose URL holds a token: no caching, no referrer."""
    g.token_page = True


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/office"):  # staff pages: names, contacts, concerns
            response.headers["Cache-Control"] = "no-store"
        if g.get("token_page"):
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
        return response
