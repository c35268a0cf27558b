"""Signing in and out, two-factor codes and enrolment, confirming identity for changes."""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.office import auth, staff_admin
from parentlink.office import session as staff_session
from parentlink.office import two_factor as codes
from parentlink.office.forms import ChangePasswordForm, CodeForm, ConfirmForm, EnrolForm, LoginForm
from parentlink.office.models import StaffUser
from parentlink.office.services import StaffError

ENROL_SECRET = "staff_enrol_secret"  # noqa: S105 - a session key name


def _next_url() -> str:
    target = request.args.get("next", "")
    if target.startswith("/office/") and "//" not in target and "\\" not in target:
        return target
    return url_for("office.overview")


def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = auth.check_password(
            form.email.data, form.password.data, ip_address=request.remote_addr
        )
        if result.user is not None:
            user = result.user
            if user.two_factor_enabled:
                staff_session.end()
                session[staff_session.PENDING] = codes.open_challenge(user)
                return redirect(url_for("office.two_factor", next=request.args.get("next")), 303)
            auth.complete_sign_in(user, ip_address=request.remote_addr, method="password")
            staff_session.start(user)
            return redirect(_next_url(), code=303)
        error = result.error
    status = 422 if (error or form.errors) else 200
    return render_template("office/login.html", form=form, error=error), status


def two_factor():
    challenge = codes.challenge_for(session.get(staff_session.PENDING))
    user = db.session.get(StaffUser, challenge.staff_id) if challenge else None
    if user is None or not user.active:
        session.pop(staff_session.PENDING, None)
        if request.method == "POST":
            flash(codes.EXPIRED)
        return redirect(url_for("office.login"), code=303)
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        check = codes.check_code(user, form.code.data, ip_address=request.remote_addr)
        if check.method is not None and codes.finish_challenge(challenge):
            auth.complete_sign_in(
                user, ip_address=request.remote_addr, method=f"password+{check.method}"
            )
            staff_session.start(user)
            return redirect(_next_url(), code=303)
        if check.start_again or check.method is not None:
            codes.finish_challenge(challenge)
            session.pop(staff_session.PENDING, None)
            flash(check.error or codes.EXPIRED)
            return redirect(url_for("office.login"), code=303)
        error = check.error
    status = 422 if (error or form.errors) else 200
    return render_template("office/two_factor.html", form=form, error=error), status


def confirm():
    """Type the password (and a code, where two-factor is on) again before a change."""
    gate = staff_session.staff_gate()
    if gate is not None:
        return gate
    user = current_user._get_current_object()
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        error = _identity_error(user, form.password.data, form.code.data)
        if error is None:
            staff_session.keep_this_session(user)
            record("staff.identity_confirmed", actor=f"staff:{user.id}", school_id=user.school_id)
            return redirect(_next_url(), code=303)
    status = 422 if (error or form.errors) else 200
    return render_template("office/confirm.html", form=form, error=error), status


def _identity_error(user: StaffUser, password: str, code: str | None) -> str | None:
    """None when the password (and, where two-factor is on, the code) is right; counted
    like a sign-in (throttling, code counts)."""
    result = auth.check_password(user.email, password, ip_address=request.remote_addr)
    if result.user is None:
        return result.error
    if user.two_factor_enabled:
        return codes.check_code(user, code or "", ip_address=request.remote_addr).error
    return None


def change_password():
    """Your own password: the current one (and a code) first; every other session ends."""
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        flash("Fill in every password field to change your password.", "error")
        return redirect(url_for("office.account"), code=303)
    error = _identity_error(user, form.current.data, form.code.data)
    if error is None:
        try:
            staff_admin.change_password(user, form.password.data, form.repeated.data)
        except StaffError as exc:
            error = f"Not changed: {exc}."
    if error is not None:
        flash(error, "error")
        return redirect(url_for("office.account"), code=303)
    staff_session.end_every_session(user, "password changed")
    staff_session.keep_this_session(user)
    flash("Your password is changed. You are signed out everywhere else.")
    return redirect(url_for("office.account"), code=303)


def two_factor_setup():
    gate = staff_session.staff_gate()
    if gate is not None:
        return gate
    if current_user.two_factor_enabled:  # moving it to a new phone: prove it is you first
        gate = staff_session.confirm_gate(url_for("office.two_factor_setup"))
        if gate is not None:
            return gate
    form = EnrolForm()
    secret = session.get(ENROL_SECRET)
    if secret is None or request.method == "GET" and not form.errors:
        secret = session[ENROL_SECRET] = codes.new_totp_secret()
    error = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        again = user.two_factor_enabled
        recovery = codes.enable_two_factor(user, secret, form.code.data)
        if recovery is not None:
            session.pop(ENROL_SECRET, None)
            if again:  # the old phone's sessions end; this one goes on
                staff_session.end_every_session(user, "two-factor moved")
                staff_session.keep_this_session(user)
            return render_template("office/recovery_codes.html", codes=recovery)
        error = "That code is not right. Check the time on your phone and try the newest code."
    uri = codes.provisioning_uri(current_user, secret)
    qr = segno.make(uri, error="m").svg_data_uri(scale=4, dark="#000", light="#fff")
    status = 422 if (error or form.errors) else 200
    return render_template(
        "office/two_factor_setup.html", form=form, error=error, secret=secret, qr=qr
    ), status


def logout():
    if current_user.is_authenticated:
        record("staff.logout", actor=f"staff:{current_user.id}", school_id=current_user.school_id)
        staff_session.end_every_session(current_user, "logout")
    staff_session.end()
    return redirect(url_for("office.login"), code=303)


def too_many_codes(error):
    """Flask-Limiter refused the code step from this address."""
    page = render_template(
        "errors/error.html",
        code=429,
        title="Too many attempts",
        text="Too many codes were tried from this computer. Please wait a few minutes.",
    )
    return page, 429
