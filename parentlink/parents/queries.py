"""Reads for the parent pages. `link_facts` is what a GET of /a/<token> needs, in one Core
statement (no ORM objects): whether the link works, who it is for, and whether the page is
the plain agreement anyone reading this version in this language sees (then it can come
from the page cache) or needs the full load (first open, receipt, withdrawn, changes…)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, exists, select

from parentlink.agreements.models import AgreementVersion
from parentlink.campaigns.invitation_links import live_link_invitation
from parentlink.campaigns.models import (
    Campaign,
    Confirmation,
    Invitation,
    InvitationStatus,
    invitation_pupil,
)
from parentlink.concerns.models import Concern
from parentlink.core.raw_query import RawQuery
from parentlink.core.tokens import hash_token
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.schools.models import School

_inv = Invitation.__table__
_camp = Campaign.__table__
_ver = AgreementVersion.__table__
_con = Contact.__table__
_sch = School.__table__
_conf = Confirmation.__table__
_pupil = Pupil.__table__


@dataclass(frozen=True)
class LinkFacts:
    invitation_id: int
    status: InvitationStatus
    opened: bool
    closes_at: datetime
    contact_id: int
    first_name: str
    language: str | None
    version_id: int
    version_label: str
    version_sha256: str | None
    school_id: int
    school_name: str
    office_phone: str | None
    logo_sha256: str | None  # the school's logo's version (part of the cached page)
    standing: bool  # a confirmation not withdrawn: the page is the receipt
    earlier: bool  # confirmed another version before: the page shows what changed
    concerns: bool  # reported a concern: the page lists them
    translations_revision: int  # goes up when a translation is loaded
    children: tuple[str, ...]  # first names (told apart), in page order

    def usable_at(self, at: datetime, grace_days: int) -> bool:
        """As Invitation.usable_at."""
        if self.status is InvitationStatus.REVOKED:
            return False
        return at <= self.closes_at + timedelta(days=grace_days)

    @property
    def plain(self) -> bool:
        """The fresh agreement page, the same for everyone but the names, link and CSRF token:
        opened before (so this visit writes nothing), nothing confirmed, withdrawn or reported."""
        return (
            self.status is InvitationStatus.OPENED
            and self.opened
            and not (self.standing or self.earlier or self.concerns)
        )


@cache
def _statement(by: str) -> RawQuery:
    """Built once per process (building it costs more than running it); `by` is the
    invitation column the bound value is compared with."""
    condition = _inv.c[by] == bindparam("value")
    conf = _conf.alias("standing")
    earlier_conf, earlier_inv, earlier_ver = (
        _conf.alias("earlier"),
        _inv.alias("earlier_invitation"),
        _ver.alias("earlier_version"),
    )
    return RawQuery(
        select(
            _inv.c.id,
            _inv.c.status,
            _inv.c.opened_at.is_not(None),
            _camp.c.closes_at,
            _con.c.id,
            _con.c.first_name,
            _con.c.language,
            _ver.c.id,
            _ver.c.label,
            _ver.c.sha256,
            _sch.c.id,
            _sch.c.name,
            _sch.c.office_phone,
            _sch.c.logo_sha256,
            exists()
            .where(conf.c.invitation_id == _inv.c.id, conf.c.withdrawn_at.is_(None))
            .label("standing"),
            exists()
            .where(
                earlier_conf.c.contact_id == _inv.c.contact_id,
                earlier_conf.c.withdrawn_at.is_(None),
                earlier_inv.c.id == earlier_conf.c.invitation_id,
                earlier_inv.c.id != _inv.c.id,
                earlier_ver.c.id == earlier_conf.c.version_id,
                earlier_ver.c.agreement_id == _ver.c.agreement_id,
                earlier_ver.c.id != _ver.c.id,
            )
            .label("earlier"),
            exists().where(Concern.__table__.c.contact_id == _inv.c.contact_id).label("concerns"),
            _ver.c.translations_revision,
            _pupil.c.first_name,
            _pupil.c.class_name,
            _pupil.c.last_name,
        )
        .select_from(_inv)
        .join(_camp, _camp.c.id == _inv.c.campaign_id)
        .join(_ver, _ver.c.id == _camp.c.version_id)
        .join(_sch, _sch.c.id == _camp.c.school_id)
        .join(_con, _con.c.id == _inv.c.contact_id)
        .outerjoin(invitation_pupil, invitation_pupil.c.invitation_id == _inv.c.id)
        .outerjoin(_pupil, _pupil.c.id == invitation_pupil.c.pupil_id)
        .where(condition)
        .order_by(_pupil.c.first_name)
    )


def told_apart(children) -> tuple[str, ...]:
    """(first name, class, last name) of each child -> the names to show: first names, with
    the class added where two share a first name, or the initial where the class is shared
    too ("Sophia (Oak)" and "Sophia (Ash)"; "Sophia B." and "Sophia K.")."""
    children = list(children)
    firsts = [first for first, _, _ in children]
    names = []
    for first, class_name, last in children:
        if firsts.count(first) < 2:
            names.append(first)
        elif sum(1 for f, c, _ in children if (f, c) == (first, class_name)) < 2:
            names.append(f"{first} ({class_name})")
        else:
            names.append(f"{first} {last[:1]}.")
    return tuple(names)


_LINK = RawQuery(live_link_invitation(bindparam("value")))


def _facts(rows) -> LinkFacts | None:
    if not rows:
        return None
    first = rows[0]
    return LinkFacts(
        *first[:14],
        standing=bool(first[14]),
        earlier=bool(first[15]),
        concerns=bool(first[16]),
        translations_revision=first[17],
        children=told_apart(tuple(row[18:21]) for row in rows if row[18] is not None),
    )


def link_facts(token: str) -> LinkFacts | None:
    """The facts of the invitation a link belongs to: its first link, or a later one
    (reminders…), as campaigns.services.find_invitation. None if unknown or revoked."""
    engine, token_hash = db.engine, hash_token(token)
    rows = _statement("token_hash").all(engine, value=token_hash)
    if not rows:
        links = _LINK.all(engine, value=token_hash)
        if not links:
            return None
        rows = _statement("id").all(engine, value=links[0][0])
    return _facts(rows)


def sole_school() -> School | None:
    """The school, when the deployment serves exactly one (pages without a personal link
    then name it); None for a trust's deployment, which must not say whose a link was."""
    schools = db.session.scalars(select(School).limit(2)).all()
    return schools[0] if len(schools) == 1 else None
