"""Campaigns on the domain: approval schedules one set of publications in the partner's time
zone (across daylight-saving changes), pause and resume, contacts and unsubscribes, and what
the dispatcher sends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import asset_engine
from prm_domain import timezones
from prm_domain.campaigns import (
    campaigns,
    contacts,
    content,
    enrolments,
    holds,
    results,
    sending,
)
from prm_domain.enums import (
    CampaignItemKind,
    ContactStatus,
    EnrolmentStatus,
    PublicationState,
    Role,
)
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.models import CampaignItem, Enrolment, Partner, Publication, User
from prm_domain.publishing import PublishingConfig

BASE = "https://portal.example"


@pytest.fixture
def world(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> dict[str, Any]:
    marketing = make_user(Role.MARKETING_MANAGER)
    partner = make_partner(timezone="Europe/Berlin")
    other = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    stranger = make_user(Role.PARTNER_ADMIN, partner=other)
    campaign = campaigns.create_campaign(session, marketing, {"name": "Spring launch"})
    campaigns.add_item(
        session,
        marketing,
        campaign.id,
        {
            "kind": "social",
            "text": "{{ partner.name }} now sells Nimbus: {{ link }}",
            "editable": ["text"],
            "max_length": 280,
            "day": 1,
            "time": "09:00",
        },
    )
    campaigns.add_item(
        session,
        marketing,
        campaign.id,
        {"kind": "email", "subject": "News from {{ partner.name }}", "text": "Hello!", "day": 2},
    )
    campaigns.launch_campaign(session, marketing, campaign.id)
    enrolment = session.scalars(
        select(Enrolment).where(
            Enrolment.campaign_id == campaign.id, Enrolment.partner_id == partner.id
        )
    ).one()
    return {
        "marketing": marketing,
        "partner": partner,
        "admin": admin,
        "stranger": stranger,
        "campaign": campaign,
        "enrolment": enrolment,
    }


def _pubs(session: Session, enrolment_id: int) -> list[Publication]:
    return list(
        session.scalars(
            select(Publication)
            .where(Publication.enrolment_id == enrolment_id)
            .order_by(Publication.id)
            .execution_options(populate_existing=True)
        )
    )


def test_approval_schedules_one_set_in_the_partners_zone(
    session: Session, world: dict[str, Any]
) -> None:
    admin, enrolment = world["admin"], world["enrolment"]
    edits = {str(world["campaign"].items[0].id): {"text": "Ask {{ partner.name }}: {{ link }}"}}
    enrolments.approve(session, admin, enrolment.id, {"edits": edits}, BASE)
    pubs = _pubs(session, enrolment.id)
    assert [p.kind for p in pubs] == ["social", "email"]  # both to the outbox
    assert {p.state for p in pubs} == {PublicationState.SCHEDULED}
    social, email = pubs
    assert social.content["text"].startswith(f"Ask {world['partner'].name}:")
    local = social.due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (9, 0)
    assert email.content["subject"] == f"News from {world['partner'].name}"
    assert "{{ unsubscribe_url }}" in email.content["html"]
    # Again: the same set, nothing more.
    enrolments.approve(session, admin, enrolment.id, {}, BASE)
    assert [p.id for p in _pubs(session, enrolment.id)] == [p.id for p in pubs]
    assert social.key == content.publication_key(
        enrolment.id, social.item_id or 0, social.channel_id or 0
    )
    # A set scheduled already (the invitation reopened by hand): its keys are left alone,
    # no error and no second copy.
    session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id).values(status=EnrolmentStatus.INVITED)
    )
    enrolments.approve(session, admin, enrolment.id, {}, BASE)
    again = _pubs(session, enrolment.id)
    assert [(p.id, p.content["text"]) for p in again] == [(p.id, p.content["text"]) for p in pubs]


def test_approval_refuses_bad_edits_and_other_tenants(
    session: Session, world: dict[str, Any]
) -> None:
    items = world["campaign"].items
    enrolment = world["enrolment"]
    cases = [
        {"edits": {str(items[1].id): {"subject": "mine"}}},  # not editable
        {"edits": {str(items[0].id): {"text": "x" * 281}}},  # over max_length
        {"edits": {str(items[0].id): {"text": "{{ partner.nickname }}"}}},  # unknown variable
        {"channel_ids": [999999]},
    ]
    for values in cases:
        with pytest.raises(ValidationError):
            enrolments.approve(session, world["admin"], enrolment.id, values, BASE)
    with pytest.raises(NotFound):
        enrolments.approve(session, world["stranger"], enrolment.id, {}, BASE)
    draft = campaigns.duplicate_campaign(session, world["marketing"], world["campaign"].id)
    with pytest.raises(NotFound):  # partners see only campaigns they are invited to
        campaigns.get_campaign(session, world["stranger"], draft.id)
    with pytest.raises(PermissionDenied):
        campaigns.update_campaign(session, world["admin"], world["campaign"].id, {"name": "x"})
    assert _pubs(session, enrolment.id) == []


def test_pause_holds_and_resume_restores_future_posts(
    session: Session, world: dict[str, Any]
) -> None:
    admin, enrolment = world["admin"], world["enrolment"]
    enrolments.approve(session, admin, enrolment.id, {}, BASE)
    enrolments.pause(session, admin, enrolment.id)
    pubs = _pubs(session, enrolment.id)
    assert {(p.state, p.last_error) for p in pubs} == {(PublicationState.SKIPPED, holds.HELD)}
    pubs[0].due_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)  # passed while paused
    session.flush()
    enrolments.resume(session, admin, enrolment.id)
    first, second = _pubs(session, enrolment.id)
    assert (first.state, first.last_error) == (PublicationState.SKIPPED, holds.MISSED)
    assert second.state == PublicationState.SCHEDULED
    # The vendor's pause holds every partner's; resume restores.
    campaigns.pause_campaign(session, world["marketing"], world["campaign"].id)
    assert _pubs(session, enrolment.id)[1].state == PublicationState.SKIPPED
    campaigns.resume_campaign(session, world["marketing"], world["campaign"].id)
    assert _pubs(session, enrolment.id)[1].state == PublicationState.SCHEDULED
    enrolments.opt_out(session, admin, enrolment.id)
    assert _pubs(session, enrolment.id)[1].state == PublicationState.SKIPPED
    with pytest.raises(Conflict):
        enrolments.resume(session, admin, enrolment.id)


def _item(day: int, time: str) -> CampaignItem:
    return CampaignItem(kind=CampaignItemKind.SOCIAL, day=day, time=time)


BERLIN = "Europe/Berlin"
EARLY = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # "now" long before: nothing is clamped


@pytest.mark.parametrize(
    ("approved_utc", "day", "time", "expected_utc"),
    [
        # Spring forward (2027-03-28, 02:00 -> 03:00 in Berlin): 09:00 is 09:00 on both sides.
        ("2027-03-27T12:00", 0, "09:00", "2027-03-27T08:00"),  # CET, UTC+1
        ("2027-03-27T12:00", 1, "09:00", "2027-03-28T07:00"),  # CEST, UTC+2
        # 02:30 does not exist that night: moved forward by the gap, to 03:30 CEST.
        ("2027-03-27T12:00", 1, "02:30", "2027-03-28T01:30"),
        # Fall back (2027-10-31, 03:00 -> 02:00): 09:00 local both days.
        ("2027-10-30T12:00", 0, "09:00", "2027-10-30T07:00"),  # CEST
        ("2027-10-30T12:00", 1, "09:00", "2027-10-31T08:00"),  # CET
        # 02:30 happens twice: the first, in summer time (UTC+2).
        ("2027-10-30T12:00", 1, "02:30", "2027-10-31T00:30"),
        # The approval's *local* date counts: 23:30 UTC is already the next day in Berlin.
        ("2027-06-01T23:30", 0, "09:00", "2027-06-02T07:00"),
    ],
)
def test_due_at_keeps_local_time_across_daylight_saving(
    approved_utc: str, day: int, time: str, expected_utc: str
) -> None:
    approved = dt.datetime.fromisoformat(approved_utc).replace(tzinfo=dt.UTC)
    due = content.due_at(_item(day, time), BERLIN, approved, EARLY)
    assert due == dt.datetime.fromisoformat(expected_utc).replace(tzinfo=dt.UTC)


def test_fixed_items_and_past_times() -> None:
    at = dt.datetime(2027, 3, 1, 15, tzinfo=dt.UTC)
    item = CampaignItem(kind=CampaignItemKind.SOCIAL, at=at)
    assert content.due_at(item, BERLIN, EARLY, EARLY) == at
    now = dt.datetime(2027, 3, 2, tzinfo=dt.UTC)
    assert content.due_at(item, BERLIN, now, now) == now  # already past: at once
    assert timezones.default_for_country("DE") == BERLIN
    assert timezones.default_for_country("US") == "UTC"
    with pytest.raises(ValidationError):
        timezones.clean("timezone", "Mars/Olympus")


def test_one_set_of_variables_for_zones_posts_and_emails() -> None:
    brand = asset_engine.BrandKit(
        partner_name="Coral", logo=b"", contact=asset_engine.Contact(phone="+55 11 5555")
    )
    assert asset_engine.render_text("{{ partner.name }} {{ contact.phone }}", brand) == (
        "Coral +55 11 5555"
    )
    assert asset_engine.render_text("{{ partner }}", brand) == "Coral"  # older templates
    mjml = (
        "<mjml><mj-body><mj-section><mj-column><mj-text>{{ partner.name }} / {{ partner.phone }}"
        "</mj-text></mj-column></mj-section></mj-body></mjml>"
    )
    rendered = asset_engine.render_email(mjml, brand)
    assert "Coral / +55 11 5555" in rendered.html
    with pytest.raises(asset_engine.TemplateError, match="does not exist"):
        asset_engine.render_text("{{ partner.nickname }}", brand)
    with pytest.raises(asset_engine.TemplateError, match="does not exist"):
        asset_engine.render_text("{{ lnk }}", brand, {"link": "x"})


def test_contacts_import_dedup_and_unsubscribe_honoured(
    session: Session, world: dict[str, Any]
) -> None:
    admin = world["admin"]
    csv_data = (
        b"Email,Name,consent_source\n"
        b"ana@example.com,Ana,webinar 2026\n"
        b"ANA@example.com,Ana again,webinar 2026\n"
        b"not-an-address,Bad,webinar\n"
        b"bo@example.com,Bo,\n"
        b"cy@example.com,Cy,trade show\n"
    )
    result = contacts.import_contacts(session, admin, csv_data, consent_source="import Nov")
    assert (result.added, result.duplicates) == (3, 1)
    assert [r["line"] for r in result.invalid] == [4]
    with pytest.raises(ValidationError):
        contacts.import_contacts(session, admin, b"email\nx@example.com\n")  # no consent
    with pytest.raises(PermissionDenied):
        contacts.list_contacts(session, world["marketing"])
    assert contacts.list_contacts(session, world["stranger"]).total == 0
    enrolments.approve(session, admin, world["enrolment"].id, {}, BASE)
    email_pub = next(p for p in _pubs(session, world["enrolment"].id) if p.kind == "email")
    ana = contacts.list_contacts(session, admin, q="ana").items[0]
    contacts.unsubscribe(session, ana.token)
    contacts.unsubscribe(session, ana.token)  # twice: still one state
    contacts.mark_bounced(session, world["partner"].id, "BO@example.com")
    # Re-importing does not resubscribe.
    assert contacts.import_contacts(session, admin, csv_data, "x").added == 0
    recipients = sending.email_recipients(session, email_pub, BASE)
    assert [a for a, _ in recipients] == ["cy@example.com"]
    post = sending.outgoing_post(session, email_pub, PublishingConfig(public_base_url=BASE))
    assert post.recipients == ("cy@example.com",)
    assert post.unsubscribe_urls["cy@example.com"].startswith(BASE + "/unsubscribe/")
    assert post.subject and post.html and "Unsubscribe" in post.html
    assert ana.status == ContactStatus.UNSUBSCRIBED
    social = next(p for p in _pubs(session, world["enrolment"].id) if p.kind == "social")
    assert sending.outgoing_post(session, social, PublishingConfig()).recipients == ()
    with pytest.raises(NotFound):
        contacts.unsubscribe(session, "x" * 43)


def test_duplicate_and_launch_rules(session: Session, world: dict[str, Any]) -> None:
    marketing = world["marketing"]
    copy = campaigns.duplicate_campaign(session, marketing, world["campaign"].id)
    assert copy.status.value == "draft" and len(copy.items) == 2
    with pytest.raises(ValidationError):
        campaigns.add_item(session, marketing, copy.id, {"kind": "social", "time": "25:00"})
    with pytest.raises(ValidationError):
        campaigns.add_item(
            session,
            marketing,
            copy.id,
            {"kind": "social", "text": "x", "day": 1, "at": "2027-01-01T00:00:00Z"},
        )
    assert world["enrolment"].status == EnrolmentStatus.INVITED


def test_the_email_preview_shows_no_unfilled_placeholder(
    session: Session, world: dict[str, Any]
) -> None:
    partner, campaign = world["partner"], world["campaign"]
    email = campaign.items[1]
    preview = content.fill(session, partner, email, {}, BASE, preview=True)
    assert "{{" not in preview["html"] + preview["text"]
    assert "own unsubscribe link" in preview["text"]


def test_results_list_every_invited_partner_for_every_item(
    session: Session, world: dict[str, Any], make_partner: Callable[..., Partner], make_user: Any
) -> None:
    marketing = world["marketing"]
    quitter = make_partner(name="Zeta Quitters")
    quitter_admin = make_user(Role.PARTNER_ADMIN, partner=quitter)
    campaigns.launch_campaign(session, marketing, world["campaign"].id)  # invites the newcomer
    enrolment_of = {
        e.partner_id: e
        for e in session.scalars(
            select(Enrolment).where(Enrolment.campaign_id == world["campaign"].id)
        )
    }
    invited = len(enrolment_of)
    assert invited >= 3
    enrolments.approve(session, world["admin"], world["enrolment"].id, {}, BASE)
    enrolments.opt_out(session, quitter_admin, enrolment_of[quitter.id].id)
    summary = results.campaign_results(session, marketing, world["campaign"].id)
    assert (summary.invited, summary.approved, summary.opted_out) == (invited, 1, 1)
    items = [i.id for i in world["campaign"].items]
    by_partner: dict[int, list[results.Row]] = {}
    for row in summary.rows:
        by_partner.setdefault(row.partner_id, []).append(row)
    # Every invited partner has a row for each item, with its answer.
    assert set(by_partner) == set(enrolment_of)
    for rows in by_partner.values():
        assert [r.item_id for r in rows] == items
    states = {p: {r.partner_state for r in rows} for p, rows in by_partner.items()}
    assert states[world["partner"].id] == {"approved"}
    assert states[quitter.id] == {"opted out"}
    assert states[world["stranger"].partner_id] == {"invited"}
    approved_rows = by_partner[world["partner"].id]
    assert all(r.state == "scheduled" and r.channel == "outbox" for r in approved_rows)
    assert all(r.state == "" for r in by_partner[quitter.id])


def test_a_social_post_goes_out_with_its_template_image_in_the_partners_brand(
    session: Session,
    world: dict[str, Any],
    make_user: Callable[..., User],
    tmp_path: Any,
) -> None:
    import io

    from PIL import Image

    from prm_domain import assets, brandkits
    from prm_domain.storage import LocalStorage

    def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (width, height), colour).save(out, "PNG")
        return out.getvalue()

    storage = LocalStorage(tmp_path)
    vendor = make_user(Role.VENDOR_ADMIN)
    logo = (200, 30, 30)
    brandkits.set_logo(session, vendor, storage, world["partner"].id, "light", png(200, 80, logo))
    image = assets.create_asset(session, vendor, "social", {"name": "Launch image"})
    version = assets.add_version(
        session, vendor, storage, image.id, "t.png", png(1200, 627, (240, 240, 240))
    )
    assets.set_zones(
        session, vendor, image.id, version.id, [{"kind": "logo", "box": [0.05, 0.05, 0.4, 0.3]}]
    )
    assets.publish(session, vendor, image.id)
    marketing = world["marketing"]
    campaign = campaigns.create_campaign(session, marketing, {"name": "With an image"})
    campaigns.add_item(
        session,
        marketing,
        campaign.id,
        {"kind": "social", "text": "Hello from {{ partner.name }}", "asset_id": image.id},
    )
    campaigns.launch_campaign(session, marketing, campaign.id)
    enrolment = session.scalars(
        select(Enrolment).where(
            Enrolment.campaign_id == campaign.id, Enrolment.partner_id == world["partner"].id
        )
    ).one()
    enrolments.approve(session, world["admin"], enrolment.id, {}, BASE)
    pub = _pubs(session, enrolment.id)[0]
    config = PublishingConfig(public_base_url=BASE, storage=storage)
    post = sending.outgoing_post(session, pub, config)
    assert post.image_type == "image/png" and post.image is not None
    picture = Image.open(io.BytesIO(post.image)).convert("RGB")
    assert picture.size == (1200, 627)
    colours = picture.crop((60, 31, 480, 188)).getcolors(1_000_000) or []
    assert any(all(abs(a - b) <= 24 for a, b in zip(c, logo, strict=True)) for _, c in colours)
    # Without storage (or for a text-only post) the text goes out alone.
    assert sending.outgoing_post(session, pub, PublishingConfig()).image is None
    enrolments.approve(session, world["admin"], world["enrolment"].id, {}, BASE)
    text_only = next(p for p in _pubs(session, world["enrolment"].id) if p.kind == "social")
    assert sending.outgoing_post(session, text_only, config).image is None
