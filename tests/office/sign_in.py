"""Signing staff in through the real pages, with a real TOTP code when their role needs one."""

from __future__ import annotations

import pyotp

from parentlink.core.clock import now
from parentlink.db import db
from parentlink.office import two_factor
from tests.builders import STAFF_PASSWORD, csrf_token, staff

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # fixed, so a test can compute codes


def code_at(secret: str = SECRET, step_offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(now().timestamp() + 30 * step_offset)


def staff_with_two_factor(school_id: int, email: str, role: str):
    user = staff(school_id, email=email, role=role)
    codes = two_factor.enable_two_factor(user, SECRET, code_at())
    user.totp_last_step = None  # enrolment used this step; let the first sign-in use it too
    db.session.flush()
    return user, codes


def post_login(client, email: str, password: str = STAFF_PASSWORD):
    page = client.get("/office/login").get_data(as_text=True)
    return client.post(
        "/office/login",
        data={"csrf_token": csrf_token(page), "email": email, "password": password},
    )


def post_code(client, code: str):
    page = client.get("/office/login/code").get_data(as_text=True)
    return client.post("/office/login/code", data={"csrf_token": csrf_token(page), "code": code})


def sign_in(client, email: str, *, two_factor: bool) -> None:
    response = post_login(client, email)
    assert response.status_code == 303, response.get_data(as_text=True)
    if two_factor:
        assert "/office/login/code" in response.headers["Location"]
        with client.application.app_context():
            code = code_at()
        response = post_code(client, code)
        assert response.status_code == 303, response.get_data(as_text=True)
