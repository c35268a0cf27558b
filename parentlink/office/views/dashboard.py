"""The overview: how far the open campaign has got."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from parentlink.campaigns.queries import campaign_progress, campaigns_for


def overview():
    campaigns = campaigns_for(current_user.school_id)
    rows = [(campaign, campaign_progress(campaign.id)) for campaign in campaigns]
    return render_template("office/overview.html", rows=rows)
