"""What a partner's post or email says: the item's texts with the partner's edits, filled with
the one set of template variables (``asset_engine.VARIABLES``), and when it goes out."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import asset_engine
from prm_domain import rendering, timezones
from prm_domain.brandkits import engine_contact
from prm_domain.enums import CampaignItemKind
from prm_domain.errors import ValidationError
from prm_domain.models import Asset, BrandKit, CampaignItem, Partner, TrackedLink

# Left in the email's HTML and text for the sender to fill per recipient (each reader gets
# their own unsubscribe link; the List-Unsubscribe header carries the same URL).
UNSUBSCRIBE_PLACEHOLDER = "{{ unsubscribe_url }}"

_SAMPLE = asset_engine.BrandKit(
    partner_name="Sample Partner",
    logo=b"",
    contact=asset_engine.Contact(
        name="Sam Sample",
        title="Sales",
        email="sam@sample.example",
        phone="+1 555 0100",
        website="https://sample.example",
        address="1 Sample Street, Sampletown",
    ),
)


def check_template(source: str) -> str | None:
    """None when ``source`` fills; else the reason (an unknown variable, bad syntax)."""
    if not source:
        return None
    try:
        asset_engine.render_text(source, _SAMPLE, {"link": "https://example.com/r/sample"})
    except asset_engine.TemplateError as exc:
        return str(exc)
    return None


def partner_brand(session: Session, partner: Partner) -> asset_engine.BrandKit:
    """The partner's variables (the logo is not needed to fill texts)."""
    kit = session.scalar(select(BrandKit).where(BrandKit.partner_id == partner.id))
    contact = engine_contact(kit) if kit is not None else asset_engine.Contact()
    color = kit.primary_color if kit is not None else "#000000"
    return asset_engine.BrandKit(
        partner_name=partner.name, logo=b"", contact=contact, primary_color=color
    )


def item_link(
    session: Session, partner: Partner, item: CampaignItem, base_url: str, *, create: bool = True
) -> str:
    """``{{ link }}``: the partner's tracked link to the item's asset (clicks and leads are
    attributed to the partner), else the partner's own website. A preview (``create`` false)
    makes no link: it shows the existing one or a stand-in."""
    if item.asset_id is not None:
        asset = session.get(Asset, item.asset_id)
        if asset is not None and asset.landing_url:
            if not create:
                code = session.scalar(
                    select(TrackedLink.code).where(
                        TrackedLink.partner_id == partner.id, TrackedLink.asset_id == asset.id
                    )
                )
                return f"{base_url.rstrip('/')}/r/{code or 'your-link'}"
            link = rendering.link_for(session, partner.id, asset.id)
            return rendering.link_url(base_url, link)
    brand = session.scalar(
        select(BrandKit.contact_website).where(BrandKit.partner_id == partner.id)
    )
    return brand or ""


def fill(
    session: Session,
    partner: Partner,
    item: CampaignItem,
    edits: Mapping[str, str],
    base_url: str,
    *,
    preview: bool = False,
    brand: asset_engine.BrandKit | None = None,
) -> dict[str, Any]:
    """The post as the partner approves it, frozen into ``Publication.content`` (``preview``:
    the same without writing anything, for the partner's preview page). ``brand``: the
    partner's variables, when the caller fills several items at once."""
    brand = brand or partner_brand(session, partner)
    link = item_link(session, partner, item, base_url, create=not preview)
    texts = {
        field: edits.get(field, getattr(item, field)) for field in ("text", "subject", "preheader")
    }
    out: dict[str, Any] = {"title": item.title, "link": link, "asset_id": item.asset_id}
    for field, source in texts.items():
        try:
            out[field] = asset_engine.render_text(source, brand, {"link": link}) if source else ""
        except asset_engine.TemplateError as exc:
            raise ValidationError(
                f"Item {item.id}: {exc}", {f"edits.{item.id}.{field}": str(exc)}
            ) from exc
    if item.kind == CampaignItemKind.EMAIL:
        out["html"] = email_html(out["text"], brand)
        out["text"] = email_text(out["text"], brand)
        if preview:
            # Each recipient gets a link of their own when it is sent; the preview says so.
            out["html"] = out["html"].replace(UNSUBSCRIBE_PLACEHOLDER, "#unsubscribe")
            out["text"] = out["text"].replace(
                UNSUBSCRIBE_PLACEHOLDER, "(each recipient's own unsubscribe link)"
            )
    return out


def _footer_lines(brand: asset_engine.BrandKit) -> list[str]:
    address = brand.contact.address or "(no postal address in the brand kit)"
    return [f"{brand.partner_name} · {address}"]


def email_html(body: str, brand: asset_engine.BrandKit) -> str:
    """A plain, readable HTML email: the body's paragraphs, then the footer every commercial
    email must carry (sender's postal address, a working unsubscribe link)."""
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n") if p.strip()
    )
    footer = "<br>".join(html.escape(line) for line in _footer_lines(brand))
    return (
        '<!doctype html><html><body style="font-family:sans-serif;max-width:600px">'
        f"{paragraphs}"
        f'<hr><p style="color:#666;font-size:12px">{footer}<br>'
        f'<a href="{UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a></p></body></html>'
    )


def email_text(body: str, brand: asset_engine.BrandKit) -> str:
    footer = "\n".join(_footer_lines(brand))
    return f"{body}\n\n--\n{footer}\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"


def due_at(
    item: CampaignItem, zone: str, approved_at: dt.datetime, now: dt.datetime
) -> dt.datetime:
    """When the item goes out for a partner who approved at ``approved_at``.

    Relative items: day N after the approval's local date, at HH:MM local
    (``timezones.local_moment`` has the daylight-saving rule). Fixed items: their instant.
    A moment already past when the partner approves is due at once.
    """
    if item.at is not None:
        moment = item.at
    else:
        local_day = approved_at.astimezone(ZoneInfo(zone)).date()
        hour, minute = (int(p) for p in (item.time or "09:00").split(":"))
        moment = timezones.local_moment(
            zone, local_day + dt.timedelta(days=item.day or 0), dt.time(hour, minute)
        )
    return max(moment, now)


def publication_key(enrolment_id: int, item_id: int, channel_id: int) -> str:
    """Stable per (enrolment, item, channel): approving twice finds the same keys."""
    raw = f"campaign-post:{enrolment_id}:{item_id}:{channel_id}".encode()
    return hashlib.sha256(raw).hexdigest()
