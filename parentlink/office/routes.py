"""The staff pages: /office/."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from parentlink.campaigns.queries import campaign_progress, campaigns_for
from parentlink.office.auth import authenticate
from parentlink.office.forms import LoginForm

blueprint = Blueprint("office", __name__, url_prefix="/office")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data, ip_address=request.remote_addr)
        if user is not None:
            login_user(user)
            return redirect(url_for("office.overview"), code=303)
        error = "The email address or password is not right."
    status = 422 if (error or form.errors) else 200
    return render_template("office/login.html", form=form, error=error), status


@blueprint.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("office.login"), code=303)


@blueprint.get("/")
@login_required
def overview():
    campaigns = campaigns_for(current_user.school_id)
    rows = [(campaign, campaign_progress(campaign.id)) for campaign in campaigns]
    return render_template("office/overview.html", rows=rows)
