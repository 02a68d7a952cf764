"""The demo's campaign: launched to every active partner, approved by Coral Integrators on the
built-in outbox, so its first posts fall due within a minute of ``./scripts/run`` and the
whole loop (schedule, dispatch, outbox feed, results) shows at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import users
from prm_domain.base import utcnow
from prm_domain.campaigns import campaigns, contacts, enrolments
from prm_domain.enums import EnrolmentStatus
from prm_domain.models import Asset, Campaign, Contact, Enrolment, User

NAME = "Nimbus Cloud 5.0 launch"
CORAL_ADMIN = "carla@coral.example"
CONTACTS = (
    ("ana.lima@varejo.example", "Ana Lima", "Coral webinar sign-up, 2026-10"),
    ("bruno@lojas-sol.example", "Bruno Costa", "Trade show badge scan, 2026-09"),
    ("carol@mercado.example", "Carol Dias", "Website newsletter form"),
)


def load(session: Session, vendor: User, base_url: str = "") -> None:
    """The launched demo campaign; ``base_url`` makes its tracked links absolute."""
    if session.scalar(select(Campaign.id).where(Campaign.name == NAME)):
        return
    brochure = session.scalar(
        select(Asset.id).where(Asset.name == "Nimbus Cloud Platform brochure")
    )
    # A social template: the post's image, in each partner's brand.
    launch_image = session.scalar(
        select(Asset.id).where(Asset.name == "Launch post: Nimbus Cloud 5.0")
    )
    campaign = campaigns.create_campaign(
        session,
        vendor,
        {"name": NAME, "goal": "Every partner announces 5.0 in the launch week."},
    )
    now = utcnow()
    items: list[dict[str, object]] = [
        {
            # Day 0 at 00:00 has passed by the time anyone approves: due at once.
            "kind": "social",
            "title": "Announcement",
            "text": "Nimbus Cloud 5.0 is here, and {{ partner.name }} can set it up for you. "
            "Faster deployments, built-in backups: {{ link }}",
            "asset_id": brochure,
            "editable": ["text"],
            "max_length": 280,
            "day": 0,
            "time": "00:00",
        },
        {
            "kind": "social",
            "title": "Launch moment",
            "text": "Live now: the Nimbus Cloud 5.0 launch. Questions? Call {{ contact.phone }}.",
            "asset_id": launch_image,
            "at": (now + dt.timedelta(seconds=45)).isoformat(),
        },
        {
            "kind": "email",
            "title": "Customer newsletter",
            "subject": "{{ partner.name }}: what Nimbus Cloud 5.0 means for you",
            "preheader": "Faster deployments and built-in backups",
            "text": "Hello,\n\nNimbus Cloud 5.0 is out. Reply to this email or call "
            "{{ contact.phone }} to plan your upgrade with {{ partner.name }}.",
            "editable": ["subject", "text"],
            "max_length": 1000,
            "day": 2,
            "time": "10:00",
        },
        {
            "kind": "social",
            "title": "Follow-up",
            "text": "Upgraded to Nimbus Cloud 5.0 yet? {{ partner.name }} helps: {{ link }}",
            "asset_id": brochure,
            "day": 7,
            "time": "09:00",
        },
    ]
    for values in items:
        if values.get("asset_id") is None:
            values.pop("asset_id", None)
        campaigns.add_item(session, vendor, campaign.id, values)
    campaigns.launch_campaign(session, vendor, campaign.id)
    carla = users.find_by_email(session, CORAL_ADMIN)
    if carla is None or carla.partner_id is None:
        return
    for email, name, source in CONTACTS:
        if not session.scalar(select(Contact.id).where(Contact.email == email)):
            contacts.add_contact(
                session, carla, {"email": email, "name": name, "consent_source": source}
            )
    enrolment = session.scalar(
        select(Enrolment).where(
            Enrolment.campaign_id == campaign.id, Enrolment.partner_id == carla.partner_id
        )
    )
    if enrolment is not None and enrolment.status == EnrolmentStatus.INVITED:
        # Links relative to the portal: the demo does not know the address it will be served at.
        enrolments.approve(session, carla, enrolment.id, {}, base_url)
