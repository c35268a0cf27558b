"""The preview is worked out against the database without writing; the commit writes the
same plan. On a realistic SIMS export and its re-imports (links removed, parental
responsibility turned off, a court order, leavers, a returner, an open campaign whose
invitations and reminders must stop), the preview says exactly what the commit then does,
and the preview itself changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from parentlink.agreements.services import current_version
from parentlink.campaigns.models import Invitation
from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory import reimport
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.directory.services import set_court_order
from parentlink.messaging.models import Message
from parentlink.schools.models import School
from parentlink.schools.terms import seed_standard_english_year
from tests.builders import published_policy, school

HEADER = (
    "Adno,Legal Forename,Legal Surname,Year,Reg,Contact Title,Contact Forename,"
    "Contact Surname,Relationship,Priority,Parental Responsibility,Court Order,"
    "Home Telephone,Mobile Telephone,Email Address"
)
FAMILIES = 30


def sims_export(families: dict[int, dict]) -> bytes:
    """A SIMS "Student Contacts" report: no contact ids, Reg, Priority, Court Order, the
    home telephone before the mobile, Windows-1252. `families`: family number -> how it
    differs from the usual two carers with parental responsibility."""
    lines = [HEADER]
    for family, how in sorted(families.items()):
        surname = f"Family{family:02d}"
        for child in range(how.get("children", 1)):
            adno = 1000 + 10 * family + child
            year = 1 + (family + child) % 6
            reg = how.get("reg", f"{year}K")
            pupil = f"{adno},Child{child}é,{surname},Year {year},{reg}"
            carers = (("Mrs", "Ann", "Mother"), ("Mr", "Bob", "Father"))
            for carer, (title, forename, relation) in enumerate(carers):
                if carer == 1 and how.get("father") == "gone":
                    continue
                pr = "No" if carer == 1 and how.get("father") == "no pr" else "Yes"
                court = "Yes" if carer == 1 and how.get("father") == "court order" else "No"
                n = 2 * family + carer
                mobile = f"07700 900{n:03d}"
                email = f"{forename.lower()}.{family}@example.com"
                if carer == 0:
                    email = how.get("mother's email", email)
                if carer == 1 and how.get("father") == "unreachable":
                    mobile = email = ""
                lines.append(
                    f"{pupil},{title},{forename},{surname},{relation},{carer + 1},{pr},{court},"
                    f"0161 496 0{n:03d},{mobile},{email}"
                )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
def school_id(ctx) -> int:
    the_school = school()
    seed_standard_english_year(the_school.id, 2026)
    published_policy(the_school.id)
    db.session.commit()
    return the_school.id


def _state() -> dict:
    """Everything an import can change, as plain values."""
    rows = {
        "pupils": select(Pupil.mis_id, Pupil.first_name, Pupil.class_name, Pupil.left_on),
        "contacts": select(Contact.mis_id, Contact.first_name, Contact.mobile, Contact.email),
        "links": select(
            PupilContact.pupil_id,
            PupilContact.contact_id,
            PupilContact.parental_responsibility,
            PupilContact.court_order_restriction,
            PupilContact.priority,
        ),
        "invitations": select(Invitation.id, Invitation.status),
        "messages": select(Message.id, Message.status),
    }
    return {name: sorted(db.session.execute(query).all()) for name, query in rows.items()}


def _shown(outcome: reimport.Outcome) -> dict:
    return {
        "errors": outcome.errors,
        "warnings": outcome.warnings,
        "summary": outcome.summary,  # counts, warnings, carers stopped, invitations, messages
        "leavers": outcome.leavers,
        "returners": outcome.returners,
        "current_pupils": outcome.current_pupils,
        "leavers' invitations stopped": outcome.leavers_carers_stopped,
    }


def _preview_then_commit(school_id: int, data: bytes, *, confirm: bool = False):
    mapping = reimport.choose_mapping(school_id, reimport.headers_of(data, None, "sims.csv"))
    before = _state()
    preview = reimport.dry_run(school_id, data, mapping, whole_school=True, filename="sims.csv")
    assert _state() == before  # the preview wrote nothing
    commit = reimport.import_file(
        school_id,
        data,
        mapping,
        actor="test",
        whole_school=True,
        leavers_confirmed=confirm,
        filename="sims.csv",
    )
    db.session.commit()
    assert commit.ok, commit.errors
    assert _shown(preview) == _shown(commit)
    return commit


def test_the_preview_says_what_the_commit_does_on_a_school_and_its_reimports(school_id):
    families = {f: {} for f in range(FAMILIES)}
    families[1] = {"children": 2}  # siblings: one mother and father for both
    families[2] = {"father": "court order"}
    families[3] = {"father": "unreachable"}  # kept, with a warning
    first = _preview_then_commit(school_id, sims_export(families))
    s = first.summary
    assert (s.pupils_added, s.contacts_added, s.links) == (31, 60, 62)
    assert [w.message for w in first.warnings] == [
        "Bob Family03 has no mobile and no email: kept, but we cannot reach them "
        "(listed on the data-quality page)"
    ]

    the_school = db.session.get(School, school_id)
    launch_campaign(
        the_school,
        current_version(school_id),
        name="Autumn",
        closes_at=now() + timedelta(days=30),
        actor="test",
    )
    db.session.commit()
    bob5 = db.session.scalar(select(Contact).where(Contact.email == "bob.5@example.com"))
    link = db.session.scalar(select(PupilContact).where(PupilContact.contact_id == bob5.id))
    set_court_order(school_id, link.id, restricted=True, reason="Order of 1 Sept", actor="t")
    db.session.commit()

    # Next term: families 10 and 11 have left, the fathers of 4 and 6 are no longer
    # linked, 7's father has no parental responsibility, 8's has a court order, 9 moved
    # class and the mother's email changed, 12 has a new sibling, 40 is a new family;
    # 5's file still says "no court order", but the one recorded here stays.
    families.pop(10)
    families.pop(11)
    families[4] = {"father": "gone"}
    families[6] = {"father": "gone"}
    families[7] = {"father": "no pr"}
    families[8] = {"father": "court order"}
    families[9] = {"reg": "4R", "mother's email": "ann.lee@example.com"}
    families[12] = {"children": 2}
    families[40] = {}
    second = _preview_then_commit(school_id, sims_export(families), confirm=True)
    s = second.summary
    assert (s.pupils_added, s.pupils_updated, s.contacts_added, s.contacts_updated) == (
        2,
        1,
        2,
        1,
    )
    assert s.links_removed == 2
    assert sorted((i.pupil, i.contact, i.why) for i in s.stopped) == [
        ("Child0é Family04", "Bob Family04", "no longer linked in the file"),
        ("Child0é Family06", "Bob Family06", "no longer linked in the file"),
        ("Child0é Family07", "Bob Family07", "no parental responsibility"),
        ("Child0é Family08", "Bob Family08", "court order"),
    ]
    assert s.invitations_revoked == 4 and s.messages_cancelled == 4
    assert sorted(p.mis_id for p in second.leavers) == ["1100", "1110"]
    assert second.leavers_carers_stopped == 4  # both carers of each leaver stop being asked
    assert any("no court order for Bob Family05" in w.message for w in second.warnings)

    # Family 10 comes back. Family 3's father now has a mobile: without a contact id in the
    # file he is known by his name and mobile, so he is a new carer and the unreachable one
    # is unlinked (the preview's identity report shows this before importing).
    families[10] = {}
    families[3] = {}
    third = _preview_then_commit(school_id, sims_export(families))
    assert third.returners == 1 and third.leavers == []
    s = third.summary
    assert (s.pupils_added, s.contacts_added, s.contacts_updated, s.links_removed) == (0, 1, 0, 1)
    assert [(i.contact, i.why) for i in s.stopped] == [
        ("Bob Family03", "no longer linked in the file")
    ]
