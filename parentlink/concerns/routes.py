"""The parent's side: report a concern from their personal link, and see its status."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from parentlink.concerns.forms import PARENT_CATEGORY_LABELS, PLATFORMS, ReportForm
from parentlink.concerns.limits import may_report, wait_message
from parentlink.concerns.models import ConcernCategory
from parentlink.concerns.queries import (
    concern_of_contact,
    concerns_of_contact,
    same_report_since,
)
from parentlink.concerns.services import Report, report_concern
from parentlink.concerns.uploads import MAX_FILES, UploadRefused, clean_image
from parentlink.core.clock import now
from parentlink.core.security import mark_token_page
from parentlink.parents.routes import _link_not_working, _usable_invitation

blueprint = Blueprint("concerns", __name__)


@blueprint.app_template_global()
def parent_concerns(invitation) -> list:
    """For templates/concerns/_parent_status.html on any parent page."""
    return concerns_of_contact(invitation.contact_id)


def _screenshots(form: ReportForm) -> list:
    files = [f for f in (form.screenshots.data or []) if f and f.filename]
    try:
        if len(files) > MAX_FILES:
            raise UploadRefused(_("Please send at most %(count)d screenshots.", count=MAX_FILES))
        return [clean_image(f.stream, f.filename) for f in files]
    finally:
        for f in request.files.values():  # large uploads wait in temporary files
            f.close()


def _form_page(invitation, form, status: int = 200, upload_error: str | None = None):
    # A browser never keeps a chosen file when a page comes back: say so plainly (an
    # upload refused, or too large to read, says why instead).
    dropped = []
    if status == 422 and upload_error is None:
        dropped = [f for f in request.files.getlist("screenshots") if f and f.filename]
    return render_template(
        "concerns/report.html",
        invitation=invitation,
        school=invitation.campaign.school,
        form=form,
        platforms=PLATFORMS,
        upload_error=upload_error,
        screenshots_dropped=len(dropped),
    ), status


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """The whole upload is over the app's limit: the form again, with nothing kept."""
    mark_token_page()
    invitation = _usable_invitation((request.view_args or {}).get("token", ""))
    if invitation is None:
        return _link_not_working()
    form = ReportForm(invitation.pupils, formdata=None)
    message = _("Your screenshots were too large together (over 10 MB). Please send fewer.")
    return _form_page(invitation, form, 413, message)


@blueprint.route("/a/<token>/concern", methods=["GET", "POST"])
def report(token: str):
    mark_token_page()
    invitation = _usable_invitation(token)
    if invitation is None:
        return _link_not_working()
    form = ReportForm(invitation.pupils)
    if not form.validate_on_submit():
        return _form_page(invitation, form, 422 if form.errors else 200)
    allowed = {p.id for p in invitation.pupils}
    pupil_id = form.pupil_id()
    if pupil_id is not None and pupil_id not in allowed:  # RadioField checks choices too
        return _link_not_working()
    description = form.description.data.strip()
    repeat = same_report_since(invitation.contact_id, description, now() - timedelta(minutes=30))
    if repeat is not None:  # sent twice on a slow connection: show the first one
        return redirect(url_for("concerns.sent", token=token, reference=repeat.reference), 303)
    if not may_report(invitation.contact):
        message = wait_message(invitation.campaign.school)
        return _form_page(invitation, form, 429, message)
    try:
        screenshots = _screenshots(form)
    except UploadRefused as refusal:
        return _form_page(invitation, form, 422, str(refusal))
    concern = report_concern(
        invitation.contact,
        Report(
            category=ConcernCategory(form.category.data),
            description=description,
            platform=(form.platform.data or "").strip() or None,
            happened_on=form.happened_on.data,
            pupil_id=pupil_id,
        ),
        screenshots,
    )
    return redirect(url_for("concerns.sent", token=token, reference=concern.reference), code=303)


@blueprint.get("/a/<token>/concern/<reference>")
def sent(token: str, reference: str):
    mark_token_page()
    invitation = _usable_invitation(token)
    concern = invitation and concern_of_contact(invitation.contact_id, reference)
    if not concern:
        return _link_not_working()
    return render_template(
        "concerns/sent.html",
        invitation=invitation,
        school=invitation.campaign.school,
        concern=concern,
        category=PARENT_CATEGORY_LABELS[concern.category],
    )
