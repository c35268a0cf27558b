"""Progress counts pupils covered under the campaign's completion rule, not messages."""

from __future__ import annotations

from sqlalchemy import select

from parentlink.agreements.models import Audience
from parentlink.campaigns.confirmations import withdraw
from parentlink.campaigns.models import Answer, CompletionRule, Invitation
from parentlink.campaigns.queries import (
    Coverage,
    pupil_coverage,
    questions_to_follow_up,
    withdrawals,
)
from parentlink.campaigns.services import confirm
from parentlink.db import db
from parentlink.directory.models import Contact
from tests.builders import family_row, launched


def _family(ctx_rule: CompletionRule):
    summary = launched(
        [
            family_row("P1", "C1", pupil_first_name="Amelia"),
            family_row("P2", "C1", pupil_first_name="Oscar"),
            family_row("P3", "C1", pupil_first_name="Ruby"),
            family_row("P1", "C2", pupil_first_name="Amelia", relationship="Father"),
            family_row("P4", "C3", pupil_first_name="Zain"),
        ]
    )
    summary.campaign.completion_rule = ctx_rule
    return summary.campaign


def _confirm(mis_id: str, **kwargs):
    invitation = db.session.scalar(select(Invitation).join(Contact).where(Contact.mis_id == mis_id))
    return confirm(invitation, typed_name="A Carer", ip_address=None, user_agent=None, **kwargs)


def test_any_carer_one_confirmation_covers_all_their_children_once(ctx):
    campaign = _family(CompletionRule.ANY_CARER)
    assert pupil_coverage(campaign.id) == Coverage(4, 0)
    _confirm("C1")
    assert pupil_coverage(campaign.id) == Coverage(4, 3)  # Amelia, Oscar, Ruby from one link
    _confirm("C2")
    assert pupil_coverage(campaign.id) == Coverage(4, 3)  # Amelia is counted once


def test_every_carer_needs_each_carer_with_parental_responsibility(ctx):
    campaign = _family(CompletionRule.EVERY_CARER)
    _confirm("C1")
    assert pupil_coverage(campaign.id) == Coverage(4, 2)  # Oscar and Ruby; Amelia waits for C2
    _confirm("C2")
    assert pupil_coverage(campaign.id) == Coverage(4, 3)


def test_a_withdrawal_uncovers_the_children(ctx):
    campaign = _family(CompletionRule.ANY_CARER)
    confirmation = _confirm("C1")
    withdraw(confirmation.invitation, reason="Changed my mind")
    assert pupil_coverage(campaign.id) == Coverage(4, 0)
    (shown,) = withdrawals(campaign.id)
    assert (shown.reference, shown.reason) == (confirmation.reference, "Changed my mind")


def test_confirmations_with_questions_land_on_the_follow_up_list(ctx):
    campaign = _family(CompletionRule.ANY_CARER)
    key = campaign.version.clauses_for(Audience.PARENTS_CARERS)[0].key
    asked = _confirm("C1", answers={key: (Answer.QUESTION, "What about WhatsApp groups?")})
    _confirm("C2")
    follow_up, total = questions_to_follow_up(campaign.school_id, campaign_id=campaign.id)
    assert total == 1
    assert [(f.reference, f.question, f.carer) for f in follow_up] == [
        (asked.reference, "What about WhatsApp groups?", "CarerC1 Example")
    ]
    assert [name for _, name in follow_up[0].children] == [
        "Amelia Example",
        "Oscar Example",
        "Ruby Example",
    ]
    withdraw(asked.invitation, reason="Changed my mind")
    assert questions_to_follow_up(campaign.school_id)[1] == 0  # nothing left to answer
