"""Signing in and out, two-factor codes and enrolment."""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.office import auth
from parentlink.office import session as staff_session
from parentlink.office.forms import CodeForm, EnrolForm, LoginForm
from parentlink.office.models import StaffUser

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
                session[staff_session.PENDING] = user.id
                return redirect(url_for("office.two_factor", next=request.args.get("next")), 303)
            auth.complete_sign_in(user, ip_address=request.remote_addr, method="password")
            staff_session.start(user)
            return redirect(_next_url(), code=303)
        error = result.error
    status = 422 if (error or form.errors) else 200
    return render_template("office/login.html", form=form, error=error), status


def two_factor():
    user_id = session.get(staff_session.PENDING)
    user = db.session.get(StaffUser, user_id) if user_id else None
    if user is None:
        return redirect(url_for("office.login"), code=303)
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        code = form.code.data
        ok = auth.verify_totp(user, code)
        method = "password+totp"
        if not ok and len(auth.normalise_recovery_code(code)) == 10:
            ok = auth.use_recovery_code(user, code)
            method = "password+recovery-code"
        if ok:
            auth.complete_sign_in(user, ip_address=request.remote_addr, method=method)
            staff_session.start(user)
            return redirect(_next_url(), code=303)
        record(
            "staff.two_factor_failed",
            actor=f"staff:{user.id}",
            school_id=user.school_id,
            ip=request.remote_addr,
        )
        user.failed_logins += 1
        if user.failed_logins >= 5:
            session.pop(staff_session.PENDING, None)
            db.session.flush()
            flash("Too many wrong codes. Please sign in again.")
            return redirect(url_for("office.login"), code=303)
        error = "That code is not right. Codes change every 30 seconds; try the newest one."
    status = 422 if (error or form.errors) else 200
    return render_template("office/two_factor.html", form=form, error=error), status


def two_factor_setup():
    gate = staff_session.staff_gate()
    if gate is not None:
        return gate
    form = EnrolForm()
    secret = session.get(ENROL_SECRET)
    if secret is None or request.method == "GET" and not form.errors:
        secret = session[ENROL_SECRET] = auth.new_totp_secret()
    error = None
    if form.validate_on_submit():
        codes = auth.enable_two_factor(current_user, secret, form.code.data)
        if codes is not None:
            session.pop(ENROL_SECRET, None)
            return render_template("office/recovery_codes.html", codes=codes)
        error = "That code is not right. Check the time on your phone and try the newest code."
    uri = auth.provisioning_uri(current_user, secret)
    qr = segno.make(uri, error="m").svg_data_uri(scale=4, dark="#000", light="#fff")
    status = 422 if (error or form.errors) else 200
    return render_template(
        "office/two_factor_setup.html", form=form, error=error, secret=secret, qr=qr
    ), status


def logout():
    if current_user.is_authenticated:
        record("staff.logout", actor=f"staff:{current_user.id}", school_id=current_user.school_id)
    staff_session.end()
    return redirect(url_for("office.login"), code=303)
