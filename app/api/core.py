"""Foundation operations: tokens, me, partners, partner users, tiers, audit."""

from __future__ import annotations

from flask import g

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.schemas import (
    AuditEventOut,
    DecisionIn,
    MeOut,
    PageOut,
    PageQuery,
    PartnerChangeIn,
    PartnerChangeOut,
    PartnerChangeQuery,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    PartnerQuery,
    PasswordChangeIn,
    TierIn,
    TierOut,
    TierPatch,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    page_out,
)
from app.auth import add_partner_user, issue_api_token, sign_in
from app.auth import change_password as change_own_password
from app.errors import ApiError
from prm_domain import audit, partner_changes, partners, tiers, users
from prm_domain.auth import revoke_token


@operation(
    bp,
    "/tokens",
    "POST",
    summary="Exchange email and password for an API token",
    tag="auth",
    body=TokenIn,
    response=TokenOut,
    status=201,
    auth=False,
    errors=(401, 429),
)
def create_token(body: TokenIn) -> TokenOut:
    session = db.session()
    user = sign_in(session, body.email, body.password)
    plain, token = issue_api_token(session, user)
    session.commit()
    return TokenOut(token=plain, expires_at=token.expires_at)


@operation(
    bp,
    "/tokens/current",
    "DELETE",
    summary="Revoke the token used for this request",
    tag="auth",
    status=204,
)
def delete_current_token() -> None:
    if g.token is None:
        raise ApiError(400, "bad_request", "This request was not made with an API token.")
    revoke_token(db.session(), g.token)
    db.session().commit()


@operation(
    bp,
    "/me/password",
    "POST",
    summary="Change your password; every session and API token of yours ends, this one too",
    tag="auth",
    body=PasswordChangeIn,
    status=204,
    errors=(422, 429),
)
def change_password(body: PasswordChangeIn) -> None:
    change_own_password(db.session(), g.user, body.current_password, body.new_password)
    db.session().commit()


@operation(bp, "/me", "GET", summary="The signed-in user", tag="auth", response=MeOut)
def me() -> MeOut:
    return MeOut.model_validate(g.user)


@operation(
    bp,
    "/partners",
    "GET",
    summary="List partners you may see",
    tag="partners",
    query=PartnerQuery,
    response=PageOut[PartnerOut],
)
def list_partners(query: PartnerQuery) -> PageOut[PartnerOut]:
    page = partners.list_partners(db.session(), g.user, **query.model_dump())
    return page_out(page, PartnerOut.model_validate)


@operation(
    bp,
    "/partners",
    "POST",
    summary="Add a partner organisation",
    tag="partners",
    body=PartnerIn,
    response=PartnerOut,
    status=201,
    errors=(403, 409),
)
def create_partner(body: PartnerIn) -> PartnerOut:
    partner = partners.create_partner(db.session(), g.user, body.model_dump())
    db.session().commit()
    return PartnerOut.model_validate(partner)


@operation(
    bp,
    "/partners/<id:partner_id>",
    "GET",
    summary="One partner",
    tag="partners",
    response=PartnerOut,
)
def get_partner(partner_id: int) -> PartnerOut:
    return PartnerOut.model_validate(partners.get_partner(db.session(), g.user, partner_id))


@operation(
    bp,
    "/partners/<id:partner_id>",
    "PATCH",
    summary="Change a partner's fields",
    tag="partners",
    body=PartnerPatch,
    response=PartnerOut,
    errors=(403, 409),
)
def update_partner(partner_id: int, body: PartnerPatch) -> PartnerOut:
    partner = partners.update_partner(
        db.session(), g.user, partner_id, body.model_dump(exclude_unset=True)
    )
    db.session().commit()
    return PartnerOut.model_validate(partner)


@operation(
    bp,
    "/partners/<id:partner_id>/change-requests",
    "POST",
    summary="Propose a change to vendor-owned fields (name, type, region, verticals)",
    tag="partners",
    body=PartnerChangeIn,
    response=PartnerChangeOut,
    status=201,
    errors=(403,),
)
def propose_partner_change(partner_id: int, body: PartnerChangeIn) -> PartnerChangeOut:
    request = partner_changes.propose_partner_change(
        db.session(), g.user, partner_id, body.model_dump(exclude_unset=True)
    )
    db.session().commit()
    return PartnerChangeOut.model_validate(request)


@operation(
    bp,
    "/partners/<id:partner_id>/change-requests",
    "GET",
    summary="A partner's proposed changes, newest first",
    tag="partners",
    query=PartnerChangeQuery,
    response=PageOut[PartnerChangeOut],
    errors=(403,),
)
def list_partner_change_requests(
    partner_id: int, query: PartnerChangeQuery
) -> PageOut[PartnerChangeOut]:
    page = partner_changes.list_partner_changes(
        db.session(), g.user, partner_id=partner_id, **query.model_dump()
    )
    return page_out(page, PartnerChangeOut.model_validate)


@operation(
    bp,
    "/partner-change-requests",
    "GET",
    summary="Every partner's proposed changes (vendor staff), e.g. ?status=pending",
    tag="partners",
    query=PartnerChangeQuery,
    response=PageOut[PartnerChangeOut],
    errors=(403,),
)
def list_all_partner_change_requests(query: PartnerChangeQuery) -> PageOut[PartnerChangeOut]:
    page = partner_changes.list_partner_changes(db.session(), g.user, **query.model_dump())
    return page_out(page, PartnerChangeOut.model_validate)


@operation(
    bp,
    "/partner-change-requests/<id:request_id>/<any(approve, reject):decision>",
    "POST",
    summary="Approve (apply) or reject a partner's proposed change",
    tag="partners",
    body=DecisionIn,
    response=PartnerChangeOut,
    errors=(403, 409),
)
def decide_partner_change(request_id: int, decision: str, body: DecisionIn) -> PartnerChangeOut:
    request = partner_changes.decide_partner_change(
        db.session(), g.user, request_id, approve=decision == "approve", note=body.note
    )
    db.session().commit()
    return PartnerChangeOut.model_validate(request)


@operation(
    bp,
    "/partners/<id:partner_id>/users",
    "GET",
    summary="Users of a partner",
    tag="users",
    query=PageQuery,
    response=PageOut[UserOut],
    errors=(403,),
)
def list_partner_users(partner_id: int, query: PageQuery) -> PageOut[UserOut]:
    page = users.list_partner_users(db.session(), g.user, partner_id, **query.model_dump())
    return page_out(page, UserOut.model_validate)


@operation(
    bp,
    "/partners/<id:partner_id>/users",
    "POST",
    summary="Add a user to a partner",
    tag="users",
    body=UserIn,
    response=UserOut,
    status=201,
    errors=(403, 409, 429),
)
def create_partner_user(partner_id: int, body: UserIn) -> UserOut:
    user = add_partner_user(db.session(), g.user, partner_id, body.model_dump())
    db.session().commit()
    return UserOut.model_validate(user)


@operation(
    bp,
    "/tiers",
    "GET",
    summary="Partner programme tiers, by rank",
    tag="tiers",
    query=PageQuery,
    response=PageOut[TierOut],
)
def list_tiers(query: PageQuery) -> PageOut[TierOut]:
    all_tiers = tiers.list_tiers(db.session(), g.user)
    start = (query.page - 1) * query.per_page
    items = all_tiers[start : start + query.per_page]
    return PageOut[TierOut](
        items=[TierOut.model_validate(t) for t in items],
        total=len(all_tiers),
        page=query.page,
        per_page=query.per_page,
    )


@operation(
    bp,
    "/tiers",
    "POST",
    summary="Add a tier",
    tag="tiers",
    body=TierIn,
    response=TierOut,
    status=201,
    errors=(403, 409),
)
def create_tier(body: TierIn) -> TierOut:
    tier = tiers.create_tier(db.session(), g.user, body.model_dump())
    db.session().commit()
    return TierOut.model_validate(tier)


@operation(bp, "/tiers/<id:tier_id>", "GET", summary="One tier", tag="tiers", response=TierOut)
def get_tier(tier_id: int) -> TierOut:
    return TierOut.model_validate(tiers.get_tier(db.session(), g.user, tier_id))


@operation(
    bp,
    "/tiers/<id:tier_id>",
    "PATCH",
    summary="Change a tier and its benefits",
    tag="tiers",
    body=TierPatch,
    response=TierOut,
    errors=(403, 409),
)
def update_tier(tier_id: int, body: TierPatch) -> TierOut:
    values = body.model_dump(exclude_unset=True)
    nulls = {k: "may not be null" for k, v in values.items() if v is None}
    if nulls:
        raise ApiError(422, "invalid_fields", "Invalid value for: " + ", ".join(nulls) + ".", nulls)
    tier = tiers.update_tier(db.session(), g.user, tier_id, values)
    db.session().commit()
    return TierOut.model_validate(tier)


@operation(
    bp,
    "/audit",
    "GET",
    summary="The audit log, newest first",
    tag="audit",
    query=PageQuery,
    response=PageOut[AuditEventOut],
    errors=(403,),
)
def list_audit(query: PageQuery) -> PageOut[AuditEventOut]:
    page = audit.list_events(db.session(), g.user, **query.model_dump())
    return page_out(page, AuditEventOut.model_validate)
