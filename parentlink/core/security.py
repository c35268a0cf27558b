"""Security headers on every response; stricter ones on pages reached by a personal link.

Pages reached by a personal link (a parent's /a/<token>, a colleague's set-up link) send
`Referrer-Policy: same-origin`, not `no-referrer`: the token in their address still never
leaves our origin (a link to another site gets no Referer at all), but the browser's own
form posts carry a same-origin Referer and Origin. Over HTTPS Flask-WTF refuses a form post
without a Referer from our own host (WTF_CSRF_SSL_STRICT), on top of the CSRF token; with
`no-referrer` Chromium sends neither a Referer nor a real Origin, so every form would fail.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def mark_token_page() -> None:
    """Call from a view whose URL holds a token: never cached, never referred elsewhere."""
    g.token_page = True


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Referrer-Policy"] = "same-origin"
        if request.path.startswith("/office"):  # staff pages: names, contacts, concerns
            response.headers["Cache-Control"] = "no-store"
        if g.get("token_page"):
            response.headers["Cache-Control"] = "no-store"
        return response
