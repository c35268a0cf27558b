"""The parent page reached by a personal link: the points, the receipt, withdrawing."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.campaigns.models import (
    Answer,
    Confirmation,
    Invitation,
    InvitationStatus,
)
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message, MessageKind
from tests.builders import csrf_token
from tests.parents.family import answers, parent_keys, parent_points, separated_parents


def test_page_shows_the_points_with_one_decision_and_a_question_box_each(app, client):
    token, _ = separated_parents(app)
    response = client.get(f"/a/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Coates Lane Primary School" in page
    assert "Amelia and Oscar" in page
    assert "Keep to the law online." in page  # the summary of point 1 (four clauses)
    assert "Staff should not accept friend requests" not in page  # a staff-only clause
    assert "must not write their weblog in employer time" in page  # in point 2's full wording
    with app.app_context():
        points = parent_points()
    assert 2 <= len(points) <= 8
    assert page.count('<li class="point"') == len(points)
    assert page.count("<summary>I have a question about this</summary>") == len(points)
    for n in range(1, len(points) + 1):
        assert f'<textarea id="q{n}" name="q{n}"' in page
    assert 'type="radio"' not in page and 'name="a1"' not in page
    assert page.count("I agree to these points") == 1  # one decision for the page
    assert "voluntary" in page and "nothing at school depends on your answer" in page
    assert f'href="/a/{token}/concern"' in page and "Report a concern" in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script" not in page
    with app.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.opened_at.is_not(None)))
        assert invitation.status is InvitationStatus.OPENED


def test_confirming_records_the_evidence_sends_a_receipt_and_shows_it(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    response = client.post(
        f"/a/{token}",
        data=answers(app, page, name="  Sarah   Example "),
        headers={"User-Agent": "OldPhone/1.0"},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert response.status_code == 303
    receipt = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Thank you, your answers are recorded" in receipt
    assert "You agreed" in receipt and "Withdraw my confirmation" in receipt
    assert f'href="/a/{token}/concern"' in receipt  # one tap from every parent page
    with app.app_context():
        confirmation = db.session.scalar(select(Confirmation))
        assert confirmation.typed_name == "Sarah Example"
        assert confirmation.ip_address == "192.0.2.10"
        assert confirmation.user_agent == "OldPhone/1.0"
        assert confirmation.language == "en"
        assert confirmation.version_sha256 == confirmation.invitation.campaign.version.sha256
        assert sorted(p.first_name for p in confirmation.pupils) == ["Amelia", "Oscar"]
        assert {r.answer for r in confirmation.responses} == {Answer.AGREE}
        assert not confirmation.has_questions
        assert confirmation.reference in receipt
        assert "Sarah Example" in receipt and "Amelia and Oscar" in receipt
        receipt_message = db.session.scalar(
            select(Message).where(Message.kind == MessageKind.RECEIPT)
        )
        assert receipt_message.contact_id == confirmation.contact_id
        assert confirmation.reference in receipt_message.body
        assert receipt_message.link_token == token  # the same link, put in when sent


def test_a_question_on_one_point_questions_its_clauses_and_the_rest_still_counts(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    with app.app_context():
        point = parent_points()[0]
    assert len(point) > 1  # point 1 sums up several clauses
    data = answers(app, page, questions={point[0]: "  Can I share photos of the school play?"})
    assert client.post(f"/a/{token}", data=data).status_code == 303
    receipt = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Can I share photos of the school play?" in receipt
    assert "The school office will reply" in receipt
    with app.app_context():
        confirmation = db.session.scalar(select(Confirmation))
        assert confirmation.has_questions
        keys = {c.id: c.key for c in confirmation.version.clauses}
        asked = {keys[r.clause_id]: r.question for r in confirmation.responses if r.question}
        assert asked == dict.fromkeys(point, "Can I share photos of the school play?")
        agreed = [r for r in confirmation.responses if r.answer is Answer.AGREE]
        assert len(agreed) == len(parent_keys()) - len(point)
        assert confirmation.invitation.status is InvitationStatus.CONFIRMED


def test_errors_are_one_summary_and_one_message_at_the_field(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    data = answers(app, page, name="")
    response = client.post(f"/a/{token}", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    summary = body.split('class="error-summary"')[1].split("</div>")[0]
    assert summary.count("<li>") == 1
    assert 'href="#typed_name"' in summary and "Please type your name to confirm." in summary
    assert body.count('class="error"') == 1 and 'id="typed_name-error"' in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 0


def test_a_typed_question_is_kept_open_when_the_page_comes_back(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    data = answers(app, page, name="")
    data["q4"] = "Is a private Facebook group covered?"
    body = client.post(f"/a/{token}", data=data).get_data(as_text=True)
    assert '<details class="ask" open>' in body
    assert "Is a private Facebook group covered?" in body  # kept in the box
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 0


def test_a_question_too_long_or_a_name_too_short_is_explained(app, client):
    token, _ = separated_parents(app)
    client.get(f"/a/{token}")
    page = client.get(f"/a/{token}").get_data(as_text=True)
    data = answers(app, page, name="S")
    data["q3"] = "Why? " * 401  # 2,005 characters
    response = client.post(f"/a/{token}", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'href="#q3"' in body and "Please keep your question under 2,000 characters." in body
    assert 'href="#typed_name"' in body and "(2 to 200 characters)" in body
    data["q3"], data["typed_name"] = "Why? " * 399, "Sarah Example"  # 1,995: fits
    assert client.post(f"/a/{token}", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 1


def test_a_double_submit_records_one_confirmation_and_one_receipt(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    data = answers(app, page)
    assert client.post(f"/a/{token}", data=data).status_code == 303
    assert client.post(f"/a/{token}", data=data).status_code in (200, 303)
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 1
        receipts = select(func.count(Message.id)).where(Message.kind == MessageKind.RECEIPT)
        assert db.session.scalar(receipts) == 1


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    data = answers(app, page)
    incomplete = {**data, "typed_name": ""}  # the page sent back with errors, if it got in
    for posted in (data, incomplete):
        wrong = {**posted, "csrf_token": posted["csrf_token"][:-4] + "AAAA"}
        assert client.post(f"/a/{token}", data=wrong).status_code == 400
    del data["csrf_token"], incomplete["csrf_token"]
    assert client.post(f"/a/{token}", data=data).status_code == 400
    assert client.post(f"/a/{token}", data=incomplete).status_code == 400
    assert client.post(f"/a/{token}/withdraw", data={"reason": "x"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 0


def test_withdrawing_asks_if_sure_takes_an_optional_reason_and_allows_confirming_again(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    client.post(f"/a/{token}", data=answers(app, page))
    receipt = client.get(f"/a/{token}").get_data(as_text=True)
    reason = "We want to talk to the head first."
    check = client.post(
        f"/a/{token}/withdraw", data={"csrf_token": csrf_token(receipt), "reason": reason}
    )
    assert check.status_code == 200
    asked = check.get_data(as_text=True)
    assert "Withdraw your confirmation?" in asked and "No, keep my confirmation" in asked
    assert f'name="reason" value="{reason}"' in asked
    with app.app_context():
        assert db.session.scalar(select(Confirmation)).withdrawn_at is None  # not yet
    done = client.post(
        f"/a/{token}/withdraw",
        data={"csrf_token": csrf_token(receipt), "reason": reason, "sure": "yes"},
    )
    assert done.status_code == 303
    again = client.get(f"/a/{token}").get_data(as_text=True)
    assert "You withdrew your confirmation on" in again
    assert "You do not have to." in again
    with app.app_context():
        confirmation = db.session.scalar(select(Confirmation))
        assert confirmation.withdrawal_reason == "We want to talk to the head first."
        assert confirmation.invitation.status is InvitationStatus.WITHDRAWN
    assert client.post(f"/a/{token}", data=answers(app, again)).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 2
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.confirmed_at.is_not(None))
        )
        assert invitation.status is InvitationStatus.CONFIRMED
    receipt = client.get(f"/a/{token}").get_data(as_text=True)
    no_reason = {"csrf_token": csrf_token(receipt), "reason": " ", "sure": "yes"}
    assert client.post(f"/a/{token}/withdraw", data=no_reason).status_code == 303
    with app.app_context():
        latest = db.session.scalar(select(Confirmation).order_by(Confirmation.id.desc()))
        assert latest.withdrawn_at is not None and latest.withdrawal_reason is None


def test_separated_parents_each_have_their_own_link_and_record(app, client):
    mother, father = separated_parents(app)
    assert mother != father
    father_page = client.get(f"/a/{father}").get_data(as_text=True)
    assert "Amelia" in father_page and "Oscar" not in father_page
    client.post(f"/a/{father}", data=answers(app, father_page, name="Tom Example"))
    mother_page = client.get(f"/a/{mother}").get_data(as_text=True)
    assert "Your reference is" not in mother_page  # still hers to answer
    with app.app_context():
        no_pr = db.session.scalar(select(Contact).where(Contact.mis_id == "C3"))
        assert (
            db.session.scalar(
                select(func.count(Invitation.id)).where(Invitation.contact_id == no_pr.id)
            )
            == 0
        )
