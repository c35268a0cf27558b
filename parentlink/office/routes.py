"""The staff pages under /office/: one routing table; every page states its permission."""

from __future__ import annotations

from flask import Blueprint

from parentlink.office import jobs_panel
from parentlink.office.permissions import Permission, can, requires
from parentlink.office.views import (
    account,
    agreements,
    audit,
    campaign_launch,
    campaigns,
    chase,
    dashboard,
    evidence,
    families,
    imports,
    inbox,
    messages,
    settings,
    staff,
    translations,
)

P = Permission
blueprint = Blueprint("office", __name__, url_prefix="/office")

# Pages anyone may reach (they sign you in or out).
PUBLIC = [
    ("/login", "login", account.login, ["GET", "POST"]),
    ("/login/code", "two_factor", account.two_factor, ["GET", "POST"]),
    ("/two-factor", "two_factor_setup", account.two_factor_setup, ["GET", "POST"]),
    ("/logout", "logout", account.logout, ["POST"]),
    ("/set-up/<token>", "set_up", staff.set_up, ["GET", "POST"]),  # a new colleague's link
]

# (url, endpoint, view, methods, permission)
PAGES = [
    ("/", "overview", dashboard.overview, ["GET"], Permission.VIEW_OVERVIEW),
    ("/not-answered", "non_responders", dashboard.non_responders, ["GET"], P.VIEW_FAMILIES),
    ("/not-answered/call-list", "call_list", dashboard.call_list, ["GET"], P.VIEW_FAMILIES),
    ("/invitations/<int:invitation_id>/remind", "remind", chase.remind, ["POST"], P.CHASE),
    (
        "/campaigns/<int:campaign_id>/contacts/<int:contact_id>/paper",
        "paper_confirmation",
        chase.paper,
        ["GET", "POST"],
        P.CHASE,
    ),
    (
        "/contacts/<int:contact_id>/wrong-details",
        "flag_details",
        chase.flag_details,
        ["POST"],
        P.CHASE,
    ),
    ("/agreements", "agreements", agreements.agreements, ["GET"], P.VIEW_OVERVIEW),
    (
        "/agreements/versions/<int:version_id>",
        "version",
        agreements.version,
        ["GET"],
        P.VIEW_OVERVIEW,
    ),
    (
        "/agreements/versions/<int:version_id>/draft",
        "new_draft",
        agreements.new_draft,
        ["POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/versions/<int:version_id>/publish",
        "publish_version",
        agreements.publish_version,
        ["POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/clauses/<int:clause_id>",
        "edit_clause",
        agreements.edit_clause,
        ["GET", "POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/versions/<int:version_id>/translations/<language>",
        "edit_translation",
        translations.edit,
        ["GET", "POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/family-language",
        "family_language",
        translations.family_language,
        ["POST"],
        P.EDIT_AGREEMENTS,
    ),
    ("/campaigns", "campaigns", campaign_launch.campaigns, ["GET", "POST"], P.RUN_CAMPAIGNS),
    ("/campaigns/<int:campaign_id>", "campaign", campaigns.campaign, ["GET"], P.VIEW_OVERVIEW),
    (
        "/campaigns/<int:campaign_id>/close",
        "close_campaign",
        campaigns.close,
        ["POST"],
        P.RUN_CAMPAIGNS,
    ),
    ("/messages", "messages", messages.message_log, ["GET"], P.VIEW_FAMILIES),
    ("/inbox", "inbox", inbox.inbox, ["GET"], P.VIEW_FAMILIES),
    (
        "/inbox/<int:message_id>/concern",
        "inbox_to_concern",
        inbox.to_concern,
        ["POST"],
        P.VIEW_FAMILIES,
    ),
    ("/jobs/", "jobs", jobs_panel.panel, ["GET"], P.VIEW_OVERVIEW),
    ("/data-quality", "data_quality", messages.data_quality, ["GET"], P.VIEW_FAMILIES),
    ("/import", "import_upload", imports.upload, ["GET", "POST"], P.IMPORT),
    (
        "/import/<int:upload_id>/columns",
        "import_mapping",
        imports.mapping,
        ["GET", "POST"],
        P.IMPORT,
    ),
    ("/import/<int:upload_id>/preview", "import_preview", imports.preview, ["GET"], P.IMPORT),
    ("/import/<int:upload_id>/commit", "import_commit", imports.commit, ["POST"], P.IMPORT),
    ("/families", "families", families.families, ["GET"], P.VIEW_FAMILIES),
    ("/families/<int:pupil_id>", "family", families.family, ["GET"], P.VIEW_FAMILIES),
    ("/families/<int:pupil_id>/evidence", "evidence", evidence.family_evidence, ["GET"], P.EXPORT),
    (
        "/campaigns/<int:campaign_id>/pupils.csv",
        "export_pupils",
        evidence.pupils_csv,
        ["GET"],
        P.EXPORT,
    ),
    (
        "/campaigns/<int:campaign_id>/contacts.csv",
        "export_contacts",
        evidence.contacts_csv,
        ["GET"],
        P.EXPORT,
    ),
    ("/settings", "settings", settings.settings, ["GET", "POST"], P.MANAGE_SETTINGS),
    ("/staff", "staff", staff.staff_list, ["GET", "POST"], P.MANAGE_SETTINGS),
    ("/staff/<int:staff_id>", "staff_change", staff.staff_change, ["POST"], P.MANAGE_SETTINGS),
    ("/audit", "audit", audit.audit_log, ["GET"], P.VIEW_AUDIT),
    ("/account", "account", staff.account, ["GET", "POST"], P.OWN_ACCOUNT),
]

for url, endpoint, view, methods in PUBLIC:
    blueprint.add_url_rule(url, endpoint, view, methods=methods)
for url, endpoint, view, methods, permission in PAGES:
    blueprint.add_url_rule(url, endpoint, requires(permission)(view), methods=methods)


# The menu: (endpoint, label); each shows only to roles allowed to open it.
NAV = [
    ("office.overview", "Overview"),
    ("office.non_responders", "Not yet answered"),
    ("office.families", "Families"),
    ("office.campaigns", "Campaigns"),
    ("office.agreements", "Agreement"),
    ("office.messages", "Messages"),
    ("office.inbox", "Texts from parents"),
    ("office.data_quality", "Data quality"),
    ("office.import_upload", "Import"),
    ("office.jobs", "Scheduled jobs"),
    ("concerns_office.index", "Concerns"),
    ("office.settings", "Settings"),
    ("office.staff", "Staff"),
    ("office.audit", "Audit log"),
    ("office.account", "My account"),
]
_PERMISSION_OF = {f"office.{endpoint}": permission for _, endpoint, _, _, permission in PAGES}
_PERMISSION_OF["concerns_office.index"] = P.READ_CONCERNS  # the DSL's pages (concerns package)


def office_nav() -> list[tuple[str, str]]:
    return [
        (endpoint, label)
        for endpoint, label in NAV
        if endpoint in _PERMISSION_OF and can(_PERMISSION_OF[endpoint])
    ]


@blueprint.app_context_processor
def _permissions():
    return {"can": can, "Permission": Permission, "office_nav": office_nav}
