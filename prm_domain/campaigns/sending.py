"""What the dispatcher sends: the frozen post of a publication, and for emails the recipients
resolved at send time (so an unsubscribe or a bounce after approval is honoured)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, rendering
from prm_domain.campaigns.contacts import unsubscribe_url
from prm_domain.enums import AssetKind, ContactStatus
from prm_domain.errors import ValidationError
from prm_domain.models import Asset, Contact, Partner, Publication
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


def social_image(
    session: Session, publication: Publication, config: PublishingConfig
) -> bytes | None:
    """The post's image: its social template (the item's asset, when it is one) rendered in
    the partner's brand, from the render cache when it was made before (the preview makes
    it). None without storage, for another kind of asset, or a template with no published
    version."""
    asset_id = publication.content.get("asset_id")
    if config.storage is None or publication.kind != "social" or not isinstance(asset_id, int):
        return None
    asset = session.get(Asset, asset_id)
    partner = session.get(Partner, publication.partner_id)
    if asset is None or asset.kind != AssetKind.SOCIAL or partner is None:
        return None
    version = asset.published_version
    if version is None or not access.asset_visible_to_partner(partner, asset):
        return None
    try:
        rendered = rendering.render_version(
            session, config.storage, version, partner, "png", config.public_base_url
        )
    except ValidationError:
        return None  # the brand kit cannot fill it: the text goes out alone
    return rendered.data


def outgoing_post(
    session: Session, publication: Publication, config: PublishingConfig
) -> OutgoingPost:
    """The post for the publisher. An email's HTML and text hold ``{{ unsubscribe_url }}``,
    which the sender replaces per recipient with ``unsubscribe_urls[address]``."""
    body = publication.content
    text = str(body.get("text", ""))
    link = str(body.get("link") or "") or None
    if publication.kind != "email":
        image = social_image(session, publication, config)
        return OutgoingPost(
            key=publication.key,
            text=text,
            link=link,
            image=image,
            image_type="image/png" if image else None,
        )
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
