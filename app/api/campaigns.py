"""Campaign operations: the vendor's campaigns and items, the partner's enrolments and
contacts, and the publications both see."""

from __future__ import annotations

from flask import g

from app import db
from app.api import bp
from app.api.campaigns_schemas import (
    ApproveIn,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CampaignQuery,
    ContactIn,
    ContactOut,
    ContactQuery,
    EnrolmentOut,
    EnrolmentQuery,
    ImportOut,
    ImportQuery,
    ItemIn,
    ItemOut,
    ItemsOut,
    PublicationOut,
    PublicationQuery,
    ResultsOut,
)
from app.api.framework import operation
from app.api.library import base_url
from app.api.schemas import PageOut, page_out
from app.api.syndication import _no_nulls
from prm_domain.campaigns import campaigns, contacts, enrolments, results
from prm_domain.models import Enrolment

TAG = "campaigns"


def _enrolment_out(enrolment: Enrolment) -> EnrolmentOut:
    return EnrolmentOut(
        id=enrolment.id,
        campaign_id=enrolment.campaign_id,
        campaign_name=enrolment.campaign.name,
        partner_id=enrolment.partner_id,
        status=enrolment.status,
        channel_ids=enrolment.channel_ids,
        item_ids=enrolment.item_ids,
        edits=enrolment.edits,
        invited_at=enrolment.invited_at,
        approved_at=enrolment.approved_at,
    )


# -- vendor: campaigns and items -------------------------------------------------------------


@operation(
    bp,
    "/campaigns",
    "GET",
    summary="Campaigns: all (vendor) or those your organisation is invited to",
    tag=TAG,
    query=CampaignQuery,
    response=PageOut[CampaignOut],
)
def list_campaigns(query: CampaignQuery) -> PageOut[CampaignOut]:
    page = campaigns.list_campaigns(db.session(), g.user, **query.model_dump())
    return page_out(page, CampaignOut.model_validate)


@operation(
    bp,
    "/campaigns",
    "POST",
    summary="Create a campaign (a draft until launched)",
    tag=TAG,
    body=CampaignIn,
    response=CampaignOut,
    status=201,
    errors=(403,),
)
def create_campaign(body: CampaignIn) -> CampaignOut:
    campaign = campaigns.create_campaign(db.session(), g.user, body.model_dump(mode="json"))
    db.session().commit()
    return CampaignOut.model_validate(campaign)


@operation(
    bp, "/campaigns/<id:campaign_id>", "GET", summary="One campaign", tag=TAG, response=CampaignOut
)
def get_campaign(campaign_id: int) -> CampaignOut:
    return CampaignOut.model_validate(campaigns.get_campaign(db.session(), g.user, campaign_id))


@operation(
    bp,
    "/campaigns/<id:campaign_id>",
    "PATCH",
    summary="Change a campaign (partners' approved posts keep what they approved)",
    tag=TAG,
    body=CampaignPatch,
    response=CampaignOut,
    errors=(403,),
)
def update_campaign(campaign_id: int, body: CampaignPatch) -> CampaignOut:
    values = body.model_dump(mode="json", exclude_unset=True)
    _no_nulls(values, {"starts_on", "mdf_fund_id"})
    campaign = campaigns.update_campaign(db.session(), g.user, campaign_id, values)
    db.session().commit()
    return CampaignOut.model_validate(campaign)


def _action(name: str, summary: str) -> None:
    action = getattr(campaigns, f"{name}_campaign")

    def view(campaign_id: int) -> CampaignOut:
        campaign = action(db.session(), g.user, campaign_id)
        db.session().commit()
        return CampaignOut.model_validate(campaign)

    view.__name__ = f"{name}_campaign"
    operation(
        bp,
        f"/campaigns/<id:campaign_id>/{name}",
        "POST",
        summary=summary,
        tag=TAG,
        response=CampaignOut,
        status=201 if name == "duplicate" else 200,
        errors=(403, 409, 422),
    )(view)


_action("launch", "Launch: invite every active partner in the audience")
_action("pause", "Pause: hold every partner's scheduled posts")
_action("resume", "Resume: scheduled posts still ahead go out again")
_action("duplicate", "Copy the campaign and its items as a new draft")


@operation(
    bp,
    "/campaigns/<id:campaign_id>/items",
    "GET",
    summary="The campaign's items",
    tag=TAG,
    response=ItemsOut,
)
def list_campaign_items(campaign_id: int) -> ItemsOut:
    items = campaigns.list_items(db.session(), g.user, campaign_id)
    return ItemsOut(items=[ItemOut.model_validate(i) for i in items])


@operation(
    bp,
    "/campaigns/<id:campaign_id>/items",
    "POST",
    summary="Add a social post, email or asset, at day N HH:MM (partner's time) or a fixed 'at'",
    tag=TAG,
    body=ItemIn,
    response=ItemOut,
    status=201,
    errors=(403,),
)
def add_campaign_item(campaign_id: int, body: ItemIn) -> ItemOut:
    values = body.model_dump(mode="json", exclude_none=True)
    item = campaigns.add_item(db.session(), g.user, campaign_id, values)
    db.session().commit()
    return ItemOut.model_validate(item)


@operation(
    bp,
    "/campaigns/<id:campaign_id>/results",
    "GET",
    summary="Partners invited, approved, opted out; posts published, failed; clicks; leads",
    tag=TAG,
    response=ResultsOut,
    errors=(403,),
)
def campaign_results(campaign_id: int) -> ResultsOut:
    summary = results.campaign_results(db.session(), g.user, campaign_id)
    return ResultsOut(
        **{k: getattr(summary, k) for k in ResultsOut.model_fields if k != "mdf_drawn"},
        mdf_drawn=str(summary.mdf_drawn),
    )


# -- partner: enrolments ---------------------------------------------------------------------


@operation(
    bp,
    "/enrolments",
    "GET",
    summary="Campaign invitations and participations (partners: your own)",
    tag=TAG,
    query=EnrolmentQuery,
    response=PageOut[EnrolmentOut],
)
def list_enrolments(query: EnrolmentQuery) -> PageOut[EnrolmentOut]:
    page = enrolments.list_enrolments(db.session(), g.user, **query.model_dump())
    return page_out(page, _enrolment_out)


@operation(
    bp,
    "/enrolments/<id:enrolment_id>",
    "GET",
    summary="One enrolment",
    tag=TAG,
    response=EnrolmentOut,
)
def get_enrolment(enrolment_id: int) -> EnrolmentOut:
    return _enrolment_out(enrolments.get_enrolment(db.session(), g.user, enrolment_id))


@operation(
    bp,
    "/enrolments/<id:enrolment_id>/approve",
    "POST",
    summary="Approve: schedules every item (or item_ids) on your channels, with your edits",
    tag=TAG,
    body=ApproveIn,
    response=EnrolmentOut,
    errors=(403, 409),
)
def approve_enrolment(enrolment_id: int, body: ApproveIn) -> EnrolmentOut:
    values = body.model_dump(exclude_none=True)
    enrolment = enrolments.approve(db.session(), g.user, enrolment_id, values, base_url())
    db.session().commit()
    return _enrolment_out(enrolment)


def _enrolment_action(name: str, path: str, summary: str) -> None:
    action = getattr(enrolments, name)

    def view(enrolment_id: int) -> EnrolmentOut:
        enrolment = action(db.session(), g.user, enrolment_id)
        db.session().commit()
        return _enrolment_out(enrolment)

    view.__name__ = f"{name}_enrolment"
    operation(
        bp,
        f"/enrolments/<id:enrolment_id>/{path}",
        "POST",
        summary=summary,
        tag=TAG,
        response=EnrolmentOut,
        errors=(403, 409),
    )(view)


_enrolment_action("opt_out", "opt-out", "Opt out: nothing more of this campaign goes out")
_enrolment_action("pause", "pause", "Pause: your scheduled posts are held")
_enrolment_action("resume", "resume", "Resume: held posts whose time is still ahead go out")


# -- both: publications ----------------------------------------------------------------------


@operation(
    bp,
    "/publications",
    "GET",
    summary="Scheduled and published posts (partners: your own)",
    tag=TAG,
    query=PublicationQuery,
    response=PageOut[PublicationOut],
)
def list_publications(query: PublicationQuery) -> PageOut[PublicationOut]:
    page = results.list_publications(db.session(), g.user, **query.model_dump())
    return page_out(page, PublicationOut.model_validate)


# -- partner: contacts -----------------------------------------------------------------------


@operation(
    bp,
    "/contacts",
    "GET",
    summary="Your organisation's mailing contacts",
    tag=TAG,
    query=ContactQuery,
    response=PageOut[ContactOut],
    errors=(403,),
)
def list_contacts(query: ContactQuery) -> PageOut[ContactOut]:
    page = contacts.list_contacts(db.session(), g.user, **query.model_dump())
    return page_out(page, ContactOut.model_validate)


@operation(
    bp,
    "/contacts",
    "POST",
    summary="Add a contact (with where the consent came from)",
    tag=TAG,
    body=ContactIn,
    response=ContactOut,
    status=201,
    errors=(403, 409),
)
def add_contact(body: ContactIn) -> ContactOut:
    contact = contacts.add_contact(db.session(), g.user, body.model_dump())
    db.session().commit()
    return ContactOut.model_validate(contact)


@operation(
    bp,
    "/contacts/import",
    "POST",
    summary="Import a CSV (email, name, consent_source): validated and de-duplicated",
    tag=TAG,
    query=ImportQuery,
    upload=True,
    response=ImportOut,
    errors=(403,),
)
def import_contacts(query: ImportQuery, data: bytes) -> ImportOut:
    result = contacts.import_contacts(db.session(), g.user, data, query.consent_source)
    db.session().commit()
    return ImportOut(added=result.added, duplicates=result.duplicates, invalid=result.invalid)
