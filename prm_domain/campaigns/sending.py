"""What the dispatcher sends: the frozen post of a publication, and for emails the recipients
resolved at send time (so an unsubscribe or a bounce after approval is honoured)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.campaigns.contacts import unsubscribe_url
from prm_domain.enums import ContactStatus
from prm_domain.models import Contact, Publication
from prm_domain.publishing import OutgoingPost, PublishingConfig


def email_recipients(
    session: Session, publication: Publication, base_url: str = ""
) -> list[tuple[str, str]]:
    """(address, unsubscribe URL) of every subscribed contact of the publication's partner, at
    this moment: unsubscribed and bounced addresses are never mailed again."""
    contacts = session.scalars(
        select(Contact)
        .where(
            Contact.partner_id == publication.partner_id,
            Contact.status == ContactStatus.SUBSCRIBED,
        )
        .order_by(Contact.id)
    )
    return [(c.email, unsubscribe_url(base_url, c)) for c in contacts]


def outgoing_post(
    session: Session, publication: Publication, config: PublishingConfig
) -> OutgoingPost:
    """The post for the publisher. An email's HTML and text hold ``{{ unsubscribe_url }}``,
    which the sender replaces per recipient with ``unsubscribe_urls[address]``."""
    body = publication.content
    text = str(body.get("text", ""))
    link = str(body.get("link") or "") or None
    if publication.kind != "email":
        return OutgoingPost(key=publication.key, text=text, link=link)
    recipients = email_recipients(session, publication, config.public_base_url)
    return OutgoingPost(
        key=publication.key,
        text=text,
        link=link,
        subject=str(body.get("subject", "")),
        preheader=str(body.get("preheader", "")) or None,
        html=str(body.get("html", "")) or None,
        recipients=tuple(address for address, _ in recipients),
        unsubscribe_urls=dict(recipients),
    )
