"""Staff accounts, for administrators: the list, invitations, roles, two-factor resets,
deactivation; the one-time page where a new colleague chooses a password; and each staff
member's own account page (their mobile, for test messages)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from parentlink.core.security import mark_token_page
from parentlink.db import db
from parentlink.messaging.addresses import display_mobile
from parentlink.office import auth, staff_admin
from parentlink.office import session as staff_session
from parentlink.office.forms import ActionForm, ChangePasswordForm
from parentlink.office.models import Role, StaffUser
from parentlink.office.permissions import Permission, can
from parentlink.office.services import StaffError
from parentlink.office.settings_forms import InviteForm, MobileForm, RoleForm, SetPasswordForm
from parentlink.schools.models import School


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _colleague(staff_id: int) -> StaffUser:
    user = db.session.get(StaffUser, staff_id)
    if user is None or user.school_id != current_user.school_id:
        abort(404)
    return user


def staff_list():
    form = InviteForm()
    error = None
    if request.method == "POST" and (gate := staff_session.confirm_gate(url_for("office.staff"))):
        return gate
    if form.validate_on_submit():
        school = db.session.get(School, current_user.school_id)
        try:
            user, link = staff_admin.invite_staff(
                school, email=form.email.data, name=form.name.data, role=form.role.data,
                admin=current_user,
            )  # fmt: skip
        except StaffError as exc:
            error = str(exc)
        else:
            return render_template("office/staff_link.html", user=user, link=link, new=True)
    page = staff_admin.staff_page(current_user.school_id, page=_page())
    locked = {u.id for u in page.items if staff_admin.is_locked(u)}
    status = 422 if (error or form.errors) else 200
    return render_template(
        "office/staff.html", page=page, form=form, error=error, roles=[r.value for r in Role],
        action=ActionForm(formdata=None), locked=locked,
    ), status  # fmt: skip


def staff_change(staff_id: int):
    """One change to a colleague's account, named by the button pressed."""
    user = _colleague(staff_id)
    if gate := staff_session.confirm_gate(url_for("office.staff")):
        return gate
    change = request.args.get("change", "")
    form = RoleForm() if change == "role" else ActionForm()
    if not form.validate_on_submit():
        flash("The form had expired: please try again.", "error")
        return redirect(url_for("office.staff"), code=303)
    try:
        if change == "role":
            staff_admin.change_role(user, form.role.data, admin=current_user)
            if user.id == current_user.id:  # stepping down: your other sessions end
                staff_session.keep_this_session(user)
            flash(f"{user.name} is now: {user.role.value}.")
        elif change == "reset-two-factor":
            staff_admin.reset_two_factor(user, admin=current_user)
            flash(f"Two-factor sign-in reset for {user.name}: they set it up again when they "
                  "next sign in.")  # fmt: skip
        elif change == "deactivate":
            staff_admin.set_active(user, False, admin=current_user)
            flash(f"{user.name} can no longer sign in.")
        elif change == "reactivate":
            staff_admin.set_active(user, True, admin=current_user)
            flash(f"{user.name} can sign in again.")
        elif change == "unlock":
            auth.unlock(user, admin=current_user)
            flash(f"{user.name} is unlocked: they can sign in again from anywhere.")
        elif change == "setup-link":
            if not user.active:
                raise StaffError("reactivate the account first")
            link = staff_admin.new_setup_link(user, admin=current_user)
            return render_template("office/staff_link.html", user=user, link=link, new=False)
        else:
            abort(400)
    except StaffError as exc:
        flash(f"Not changed: {exc}.", "error")
    if not can(Permission.MANAGE_SETTINGS):  # you stepped down or signed yourself out
        return redirect(url_for("office.overview"), code=303)
    return redirect(url_for("office.staff"), code=303)


def set_up(token: str):
    """Public: a new colleague chooses their password with the one-time link."""
    mark_token_page()
    user = staff_admin.user_for_setup(token)
    if user is None:
        return render_template("office/set_up_expired.html"), 404
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            staff_admin.choose_password(user, form.password.data, form.repeated.data)
        except StaffError as exc:
            error = str(exc)
        else:
            staff_session.end_every_session(user, "password set by link")
            staff_session.end()
            flash("Your password is set. Please sign in.")
            return redirect(url_for("office.login"), code=303)
    status = 422 if (error or form.errors) else 200
    return render_template("office/set_up.html", form=form, user=user, error=error), status


def account():
    """Your own account: your mobile number, for "send a test SMS to me"."""
    form = MobileForm(
        data={"mobile": display_mobile(current_user.mobile) if current_user.mobile else ""}
    ) if request.method == "GET" else MobileForm()  # fmt: skip
    error = None
    if form.validate_on_submit():
        try:
            staff_admin.set_own_mobile(current_user, form.mobile.data or "")
        except StaffError as exc:
            error = str(exc)
        else:
            flash("Your mobile number is saved." if current_user.mobile else
                  "Your mobile number is removed.")  # fmt: skip
            return redirect(url_for("office.account"), code=303)
    status = 422 if (error or form.errors) else 200
    return render_template(
        "office/account.html", form=form, error=error, password_form=ChangePasswordForm()
    ), status
