"""The settings page: one page, one small form per section, each posted on its own.

Every change goes through the same checks as `parentlink school set` (schools/services.py)
and is audited with its old and new values; a refused value changes nothing and the page
says why next to the section. Term dates are entered one by one or uploaded (CSV or a local
authority's iCalendar file), all-or-nothing.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.addresses import display_mobile
from parentlink.messaging.allowance import allowance_for
from parentlink.office import settings_forms as forms
from parentlink.schools import terms
from parentlink.schools.logo import MAX_UPLOAD_BYTES, LogoRefused, logo_url, remove_logo, set_logo
from parentlink.schools.models import Closure, School, Term
from parentlink.schools.sending import (
    NOTIFY_FREE_ALLOWANCE,
    NOTIFY_PRICE_PENCE,
    international_mobiles_allowed,
    price_per_segment,
    sender_takes_replies,
    sms_sender,
    sms_through_notify,
)
from parentlink.schools.services import SchoolError, set_sending_window, update_settings

# How the page names each gateway (PARENTLINK_SMS_GATEWAY, PARENTLINK_EMAIL_GATEWAY).
GATEWAY_NAMES = {
    "sandbox": "the sandbox (nothing leaves this computer)",
    "twilio": "Twilio",
    "smtp": "your mail server (SMTP)",
    "notify": "GOV.UK Notify",
}

SECTIONS = {
    "school": forms.SchoolDetailsForm,
    "logo": forms.LogoForm,
    "logo-remove": forms.RemoveLogoForm,
    "window": forms.WindowForm,
    "sms": forms.SmsForm,
    "safeguarding": forms.SafeguardingForm,
    "term": forms.TermForm,
    "terms-upload": forms.TermsUploadForm,
    "delete-dates": forms.DeleteDatesForm,
    "test-sms": forms.TestMessageForm,
    "test-email": forms.TestMessageForm,
}


def _actor() -> str:
    return f"staff:{current_user.id}"


def _initial(school: School) -> dict[str, dict]:
    return {
        "school": {
            "name": school.name,
            "short_name": school.short_name,
            "office_phone": school.office_phone,
            "office_email": school.office_email,
            "phase": school.phase.value,
        },
        "window": {"start": school.sending_window_start, "end": school.sending_window_end},
        "sms": {
            "sms_sender": school.sms_sender,
            "sms_price_pence": (
                f"{school.sms_price_pence.normalize():f}"
                if school.sms_price_pence is not None
                else ""
            ),
            "sms_segment_limit": school.sms_segment_limit,
            "allow_international_mobiles": school.allow_international_mobiles,
            "notify_free_allowance": (
                "" if school.notify_free_allowance is None else str(school.notify_free_allowance)
            ),
            "notify_price_pence": (
                f"{school.notify_price_pence.normalize():f}"
                if school.notify_price_pence is not None
                else ""
            ),
        },
        "safeguarding": {
            "dsl_alert_mobile": (
                display_mobile(school.dsl_alert_mobile) if school.dsl_alert_mobile else ""
            ),
            "escalation_emails": school.escalation_emails,
        },
    }


def settings():
    school = db.session.get(School, current_user.school_id)
    section = request.args.get("section") if request.method == "POST" else None
    if request.method == "POST" and section not in HANDLERS:
        abort(400)
    initial = _initial(school)
    built = {}
    for name, form_class in SECTIONS.items():
        if name == section:
            built[name] = form_class(prefix=name)
        else:
            built[name] = form_class(formdata=None, prefix=name, data=initial.get(name, {}))
    error = None
    if section is not None:
        form = built[section]
        if form.validate_on_submit():
            try:
                message = HANDLERS[section](school, form)
            except LogoRefused as exc:
                error = str(exc).rstrip(".")
                record(
                    "school.logo_refused", actor=_actor(), school_id=school.id,
                    subject=f"school:{school.id}", reason=error,
                )  # fmt: skip
            except (SchoolError, terms.TermDatesError, ValueError) as exc:
                error = str(exc)
            else:
                if message:
                    flash(message)
                return redirect(url_for("office.settings") + f"#{section}", code=303)
        elif not form.errors.get("csrf_token"):
            error = "check the answers marked below"
        else:
            error = "the form had expired: please try again"
    return render_template(
        "office/settings.html",
        school=school,
        forms=built,
        section=section,
        error=error,
        terms=_dates(Term, school.id),
        closures=_dates(Closure, school.id),
        sender=sms_sender(school),
        sender_takes_replies=sender_takes_replies(sms_sender(school)),
        price=price_per_segment(school),
        international=international_mobiles_allowed(school),
        deployment_international=bool(current_app.config.get("ALLOW_INTERNATIONAL_MOBILES")),
        sms_gateway=current_app.config["SMS_GATEWAY"],
        email_gateway=current_app.config["EMAIL_GATEWAY"],
        gateway_names=GATEWAY_NAMES,
        allowance=allowance_for(school) if sms_through_notify() else None,
        notify_defaults=(NOTIFY_FREE_ALLOWANCE, NOTIFY_PRICE_PENCE),
        staff_mobile=display_mobile(current_user.mobile) if current_user.mobile else None,
        logo_url=logo_url(school),
    ), (422 if error else 200)


def _dates(model, school_id: int) -> list:
    """This year's and later terms (or closures): a school has a handful a year."""
    since = now().date() - timedelta(days=365)
    return list(
        db.session.scalars(
            select(model)
            .where(model.school_id == school_id, model.ends_on >= since)
            .order_by(model.starts_on, model.id)
            .limit(60)
        )
    )


def _school(school: School, form) -> str | None:
    changed = update_settings(
        school, actor=_actor(), name=form.name.data, short_name=form.short_name.data,
        office_phone=form.office_phone.data or "", office_email=form.office_email.data or "",
        phase=form.phase.data or None,
    )  # fmt: skip
    return "School details saved." if changed else "Nothing changed."


def _logo(school: School, form) -> str | None:
    upload = form.file.data
    with upload.stream:
        raw = upload.stream.read(MAX_UPLOAD_BYTES + 1)  # more than that is refused anyway
    logo = set_logo(school, raw, actor=_actor(), filename=upload.filename or "")
    return (
        f"Logo saved: {logo.width} × {logo.height} pixels, {len(logo.data) / 1024:.1f} KB "
        "as parents receive it."
    )


def _remove_logo(school: School, form) -> str | None:
    return "Logo removed." if remove_logo(school, actor=_actor()) else "There was no logo."


def _window(school: School, form) -> str | None:
    start, end = form.start.data, form.end.data
    if (start, end) == (school.sending_window_start, school.sending_window_end):
        return "Nothing changed."
    set_sending_window(school, start, end, actor=_actor())
    if start == end:
        return "Saved: text messages may now go out at any time of day."
    return f"Saved: text messages go out between {start:%H:%M} and {end:%H:%M}."


def _sms(school: School, form) -> str | None:
    # The page shows Notify's allowance and price, or the price per segment, not both: a
    # field that was not on the page is left as it is.
    prices = (
        {"notify_free_allowance": form.notify_free_allowance.data or "",
         "notify_price_pence": form.notify_price_pence.data or ""}
        if sms_through_notify()
        else {"sms_price_pence": form.sms_price_pence.data or ""}
    )  # fmt: skip
    changed = update_settings(
        school, actor=_actor(), sms_sender=form.sms_sender.data or "",
        sms_segment_limit=form.sms_segment_limit.data,
        allow_international_mobiles=bool(form.allow_international_mobiles.data), **prices,
    )  # fmt: skip
    return "Text message settings saved." if changed else "Nothing changed."


def _safeguarding(school: School, form) -> str | None:
    changed = update_settings(
        school, actor=_actor(), dsl_alert_mobile=form.dsl_alert_mobile.data or "",
        escalation_emails=form.escalation_emails.data or "",
    )  # fmt: skip
    return "Safeguarding alert settings saved." if changed else "Nothing changed."


def _term(school: School, form) -> str | None:
    name = form.name.data.strip()
    with db.session.begin_nested():
        if form.kind.data == "term":
            item = terms.add_term(school.id, name, form.starts_on.data, form.ends_on.data)
        else:
            item = terms.add_closure(school.id, name, form.starts_on.data, form.ends_on.data)
    record(
        f"terms.add_{form.kind.data}", actor=_actor(), school_id=school.id,
        subject=f"{form.kind.data}:{item.id}", name=name,
        dates=f"{item.starts_on}..{item.ends_on}",
    )  # fmt: skip
    return f"Added {name}: {item.starts_on:%-d %B %Y} to {item.ends_on:%-d %B %Y}."


def _delete(school: School, form) -> str | None:
    model = {"term": Term, "closure": Closure}.get(form.kind.data or "")
    item_id = form.item_id.data or ""
    if model is None or not item_id.isdigit():
        abort(400)
    item = db.session.get(model, int(item_id))
    if item is None or item.school_id != school.id:
        abort(404)
    db.session.delete(item)
    record(
        f"terms.delete_{form.kind.data}", actor=_actor(), school_id=school.id,
        subject=f"{form.kind.data}:{item.id}", name=item.name,
        dates=f"{item.starts_on}..{item.ends_on}",
    )  # fmt: skip
    return f"Removed {item.name}."


def _test(channel: Channel):
    def send(school: School, form) -> str | None:
        from parentlink.messaging.trial import send_test_message

        answer = send_test_message(school, current_user, channel)
        what = "text message" if channel is Channel.SMS else "email"
        to = display_mobile(answer.to) if channel is Channel.SMS else answer.to
        if answer.accepted and answer.description:  # GOV.UK Notify's answer, in words
            flash(
                f"Test {what} to {to}: {answer.description} (status {answer.provider_status}).",
                "success",
            )
        elif answer.accepted:
            flash(
                f"Test {what} to {to}: accepted by {answer.gateway} "
                f"(id {answer.provider_id}, status {answer.provider_status}).",
                "success",
            )
        else:
            code = answer.error_code
            code = f" (error {code})" if code and code not in (answer.reason or "") else ""
            flash(
                f"Test {what} to {to}: refused by {answer.gateway}{code}: {answer.reason}", "error"
            )
        return None

    return send


HANDLERS = {
    "school": _school,
    "logo": _logo,
    "logo-remove": _remove_logo,
    "window": _window,
    "sms": _sms,
    "safeguarding": _safeguarding,
    "term": _term,
    "delete-dates": _delete,
    "test-sms": _test(Channel.SMS),
    "test-email": _test(Channel.EMAIL),
}
