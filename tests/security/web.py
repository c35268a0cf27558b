"""A real HTTP client against the live app (tests/conftest.py `live_app`): a browser-like
`requests.Session` that reads CSRF tokens from the pages it gets."""

from __future__ import annotations

import requests

from tests.builders import STAFF_PASSWORD, csrf_token


class Browser:
    def __init__(self, app, address: str | None = None) -> None:
        """`address`: the client address the proxy reports (X-Forwarded-For), for an app
        behind one proxy hop."""
        self.base = app.config["PUBLIC_URL"]
        self.http = requests.Session()
        self.tried: set[str] = set()  # forms sent, by action (tests/security/test_text_input)
        if address:
            self.http.headers["X-Forwarded-For"] = address

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=30, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        return self.http.post(
            self.base + path, data=data, allow_redirects=False, timeout=30, **kwargs
        )

    def form(self, path: str) -> str:
        """The CSRF token of the form on this page."""
        return csrf_token(self.get(path).text)

    def submit(self, path: str, data: dict, **kwargs) -> requests.Response:
        return self.post(path, {"csrf_token": self.form(path), **data}, **kwargs)

    def login(self, email: str, password: str = STAFF_PASSWORD) -> requests.Response:
        return self.submit("/office/login", {"email": email, "password": password})

    def code(self, code: str) -> requests.Response:
        return self.submit("/office/login/code", {"code": code})

    def cookies(self) -> dict:
        return self.http.cookies.get_dict()

    def use_cookies(self, cookies: dict) -> None:
        self.http.cookies.clear()
        self.http.cookies.update(cookies)


def signed_in(response: requests.Response) -> bool:
    return response.status_code == 200 and "Sign in to the school office" not in response.text
