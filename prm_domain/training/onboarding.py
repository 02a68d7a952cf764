"""Onboarding: the data processing addendum, public partner applications, onboarding rules
(vertical and business model -> learning paths, library categories, a channel manager) and the
checklist a new partner follows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from prm_domain import (
    access,
    audit,
    brandkits,
    invitations,
    notifications,
    partners,
    users,
    validation,
)
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import (
    ApplicationStatus,
    BusinessModel,
    PartnerStatus,
    PartnerType,
    Region,
    Role,
)
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import (
    Certification,
    DpaSignature,
    DpaVersion,
    LearningPath,
    Notification,
    OnboardingRule,
    Partner,
    PartnerApplication,
    PartnerOnboarding,
    PathEnrolment,
    Tier,
    User,
)
from prm_domain.pagination import Page, paginate
from prm_domain.training.courses import _clean, _whole

# -- the data processing addendum ----------------------------------------------------------


def current_dpa(session: Session) -> DpaVersion | None:
    return session.scalar(
        select(DpaVersion).order_by(DpaVersion.published_at.desc(), DpaVersion.id.desc()).limit(1)
    )


def _paragraphs(field: str, value: Any, max_len: int) -> str:
    """Multi-line text: each line checked like any text (no control or invisible characters)."""
    if not isinstance(value, str):
        raise validation.fail(field, "must be text")
    lines = [
        validation.text(field, line, max_len=max_len, required=False)
        for line in value.replace("\r\n", "\n").split("\n")
    ]
    out = "\n".join(lines).strip()
    if not out:
        raise validation.fail(field, "is required")
    if len(out) > max_len:
        raise validation.fail(field, f"must be at most {max_len} characters")
    return out


def publish_dpa(session: Session, actor: User, version: Any, text: Any) -> DpaVersion:
    """A new current version: every partner must sign it before leads and deals open again."""
    access.require(actor, Right.MANAGE_PARTNERS)
    problems: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name, value, limit in (("version", version, 40), ("text", text, 50_000)):
        try:
            clean[name] = (
                _paragraphs(name, value, limit)
                if name == "text"
                else validation.text(name, value, max_len=limit)
            )
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    if session.scalar(select(DpaVersion.id).where(DpaVersion.version == clean["version"])):
        raise Conflict("That version is published already.", {"version": "already used"})
    dpa = DpaVersion(version=clean["version"], text=clean["text"], published_by_id=actor.id)
    session.add(dpa)
    session.flush()
    audit.record(session, actor, "dpa.published", dpa, {"version": dpa.version})
    # Every partner that may still work with us is told, once per version.
    open_statuses = (PartnerStatus.PROSPECT, PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE)
    for partner_id in session.scalars(select(Partner.id).where(Partner.status.in_(open_statuses))):
        notifications.notify_user(
            session,
            partner_id=partner_id,
            user_id=None,
            kind="dpa",
            text=f"A new data processing addendum ({dpa.version}) needs your admin's signature "
            "before leads and deals open again.",
            link="/dpa",
            dedupe_key=f"dpa:{dpa.id}",
        )
    return dpa


def sign_dpa(session: Session, actor: User, partner_id: int, version_id: int) -> DpaSignature:
    """A partner admin signs the current version for the organisation (again: no change)."""
    access.ensure_visible(actor, partner_id, "Partner")
    access.require(actor, Right.SIGN_DPA, "Only the partner's admins sign the addendum.")
    if actor.partner_id != partner_id:
        raise NotFound("Partner not found.")
    current = current_dpa(session)
    if current is None:
        raise NotFound("No data processing addendum is published.")
    if version_id != current.id:
        raise Conflict(
            "A newer version was published: read and sign that one.",
            {"version_id": "is not the current version"},
        )
    found = session.scalar(
        select(DpaSignature).where(
            DpaSignature.partner_id == partner_id, DpaSignature.version_id == current.id
        )
    )
    if found is not None:
        return found
    signature = DpaSignature(partner_id=partner_id, version_id=current.id, user_id=actor.id)
    session.add(signature)
    partner = partners.get_partner(session, actor, partner_id)
    partner.dpa_signed_on = utcnow().date()
    # The notice asking for this signature is done with: it leaves the dashboard (the notices
    # of older versions too, which this signature supersedes).
    session.execute(
        update(Notification)
        .where(
            Notification.partner_id == partner_id,
            Notification.kind == "dpa",
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    session.flush()
    audit.record(
        session,
        actor,
        "dpa.signed",
        signature,
        {"version": current.version},
        partner_id=partner_id,
    )
    return signature


# -- applications --------------------------------------------------------------------------

APPLICATION_FIELDS = (
    "company",
    "contact_name",
    "contact_email",
    "country",
    "region",
    "type",
    "business_model",
    "verticals",
    "website",
    "message",
)


def submit_application(session: Session, values: Mapping[str, Any]) -> PartnerApplication:
    """A company applies from the public form (no account); the vendor reviews it."""
    missing = {
        f: "is required"
        for f in ("company", "contact_name", "contact_email", "country", "region", "type")
        if not values.get(f)
    }
    rules: dict[str, Callable[[Any], Any]] = {
        "company": lambda v: validation.text("company", v, max_len=200),
        "contact_name": lambda v: validation.text("contact_name", v, max_len=120),
        "contact_email": lambda v: validation.email("contact_email", v),
        "country": lambda v: validation.country("country", v),
        "region": lambda v: validation.choice("region", v, Region).value,
        "type": lambda v: validation.choice("type", v, PartnerType).value,
        "business_model": lambda v: (
            validation.choice("business_model", v, BusinessModel).value if v else None
        ),
        "verticals": lambda v: validation.string_list("verticals", v, max_items=10, max_len=60),
        "website": lambda v: validation.http_url("website", v, allow_loopback=False) if v else "",
        "message": lambda v: validation.text("message", v, max_len=2000, required=False),
    }
    try:
        clean = _clean(values, APPLICATION_FIELDS, rules)
    except ValidationError as exc:
        raise ValidationError.for_fields({**missing, **exc.fields}) from None
    if missing:
        raise ValidationError.for_fields(missing)
    application = PartnerApplication(**clean)
    session.add(application)
    session.flush()
    audit.record(session, None, "application.submitted", application, {"company": clean["company"]})
    return application


def list_applications(
    session: Session,
    actor: User,
    *,
    status: ApplicationStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[PartnerApplication]:
    access.ensure_vendor(actor, Right.MANAGE_PARTNERS)
    stmt = select(PartnerApplication).order_by(PartnerApplication.id.desc())
    if status is not None:
        stmt = stmt.where(PartnerApplication.status == status.value)
    return paginate(session, stmt, page=page, per_page=per_page)


@dataclass
class Decision:
    """An application decided; an approval carries the first user's invitation (its plain
    token exists only here: the adapter shows it once and sends the welcome message)."""

    application: PartnerApplication
    invitation: invitations.IssuedInvitation | None = None


def decide_application(
    session: Session, actor: User, application_id: int, *, approve: bool, note: Any = ""
) -> Decision:
    """Approve into an onboarding Partner (entry tier, routed by the onboarding rules) whose
    first partner admin is the applicant's contact, invited to set a password; or reject with
    a reason."""
    access.ensure_vendor(actor, Right.MANAGE_PARTNERS)
    application = session.get(PartnerApplication, application_id)
    if application is None:
        raise NotFound("Application not found.")
    if application.status != ApplicationStatus.PENDING:
        raise Conflict(f"This application was {application.status} already.")
    note = validation.text("note", note, max_len=500, required=False)
    issued = None
    if approve:
        tier = session.scalar(select(Tier).order_by(Tier.rank))
        if tier is None:
            raise Conflict("Add a tier before approving partners.")
        if users.find_by_email(session, application.contact_email) is not None:
            raise Conflict(
                f"{application.contact_email} has an account already: the contact's first "
                "user cannot be made. Reject the application, or add that person by hand.",
                {"contact_email": "already used"},
            )
        partner = partners.create_partner(
            session,
            actor,
            {
                "name": application.company,
                "type": application.type,
                "tier_id": tier.id,
                "country": application.country,
                "region": application.region,
                "verticals": list(application.verticals),
                "business_model": application.business_model,
                "status": PartnerStatus.ONBOARDING.value,
            },
        )
        application.partner_id = partner.id
        first = User(
            email=application.contact_email.strip().lower(),
            password_hash=invitations.unusable_password(),
            display_name=application.contact_name,
            role=Role.PARTNER_ADMIN,
            partner_id=partner.id,
        )
        session.add(first)
        session.flush()
        audit.record(
            session,
            actor,
            "user.created",
            first,
            {"email": first.email, "role": first.role},
            partner_id=partner.id,
        )
        issued = invitations.issue(session, actor, first)
        apply_onboarding(session, actor, partner.id)
        notifications.notify_user(
            session,
            partner_id=partner.id,
            user_id=first.id,
            kind="welcome",
            text=f"Welcome, {application.company}: your onboarding checklist shows what to do "
            "first.",
            link="/",
            dedupe_key=f"welcome:{partner.id}",
        )
    application.status = (
        ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
    ).value
    application.decided_by_id = actor.id
    application.decided_at = utcnow()
    application.decision_note = note
    session.flush()
    audit.record(session, actor, f"application.{application.status}", application, {"note": note})
    return Decision(application, issued)


# -- onboarding rules ------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "priority",
    "vertical",
    "business_model",
    "path_ids",
    "categories",
    "channel_manager_id",
)


def list_rules(session: Session, actor: User) -> list[OnboardingRule]:
    access.ensure_vendor(actor, Right.MANAGE_PARTNERS)
    return list(
        session.scalars(select(OnboardingRule).order_by(OnboardingRule.priority, OnboardingRule.id))
    )


def create_rule(session: Session, actor: User, values: Mapping[str, Any]) -> OnboardingRule:
    access.ensure_vendor(actor, Right.MANAGE_PARTNERS)
    if "name" not in values:
        raise ValidationError.for_fields({"name": "is required"})

    def path_ids(v: Any) -> list[int]:
        ok = isinstance(v, list) and len(v) <= 10
        ok = ok and all(isinstance(i, int) and not isinstance(i, bool) for i in v)
        if not ok or len(set(session.scalars(select(LearningPath.id).where(
            LearningPath.id.in_(v))))) != len(set(v)):  # fmt: skip
            raise validation.fail("path_ids", "must list known learning path ids")
        return list(dict.fromkeys(v))

    def manager(v: Any) -> int | None:
        if v is None:
            return None
        user = (
            session.get(User, v)
            if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= validation.MAX_ID
            else None
        )
        if user is None or user.role != Role.CHANNEL_MANAGER or not user.active:
            raise validation.fail("channel_manager_id", "is not an active channel manager")
        return user.id

    rules: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validation.text("name", v, max_len=120),
        "priority": _whole("priority", 0, 1000),
        "vertical": lambda v: validation.text("vertical", v, max_len=40, required=False),
        "business_model": lambda v: (
            validation.choice("business_model", v, BusinessModel).value if v else ""
        ),
        "path_ids": path_ids,
        "categories": lambda v: validation.string_list("categories", v, max_items=10, max_len=80),
        "channel_manager_id": manager,
    }
    clean = _clean(values, RULE_FIELDS, rules)
    rule = OnboardingRule(**clean)
    session.add(rule)
    session.flush()
    audit.record(session, actor, "onboarding_rule.created", rule, {"name": rule.name})
    return rule


def delete_rule(session: Session, actor: User, rule_id: int) -> None:
    access.ensure_vendor(actor, Right.MANAGE_PARTNERS)
    rule = session.get(OnboardingRule, rule_id)
    if rule is None:
        raise NotFound("Onboarding rule not found.")
    audit.record(session, actor, "onboarding_rule.deleted", rule, {"name": rule.name})
    session.delete(rule)
    session.flush()


def matching_rule(session: Session, verticals: list[str], model: str | None) -> Any:
    """The first rule by priority whose vertical (empty: any) and business model (empty: any)
    fit the partner."""
    folded = {v.casefold() for v in verticals}
    for rule in session.scalars(
        select(OnboardingRule).order_by(OnboardingRule.priority, OnboardingRule.id)
    ):
        if rule.vertical and rule.vertical.casefold() not in folded:
            continue
        if rule.business_model and rule.business_model != (model or ""):
            continue
        return rule
    return None


def apply_onboarding(session: Session, actor: User, partner_id: int) -> PartnerOnboarding:
    """Route the partner by the rules, once: what it was given stays as it was given."""
    access.require(actor, Right.MANAGE_PARTNERS)
    partner = partners.get_partner(session, actor, partner_id)
    found = session.scalar(
        select(PartnerOnboarding).where(PartnerOnboarding.partner_id == partner.id)
    )
    if found is not None:
        return found
    rule = matching_rule(
        session, partner.verticals, partner.business_model.value if partner.business_model else None
    )
    onboarding = PartnerOnboarding(
        partner_id=partner.id,
        rule_id=rule.id if rule else None,
        path_ids=list(rule.path_ids) if rule else [],
        categories=list(rule.categories) if rule else [],
        channel_manager_id=rule.channel_manager_id if rule else None,
    )
    session.add(onboarding)
    session.flush()
    audit.record(
        session,
        actor,
        "partner.onboarding_routed",
        onboarding,
        {"rule": rule.name if rule else None},
        partner_id=partner.id,
    )
    return onboarding


# -- the checklist --------------------------------------------------------------------------


@dataclass
class Step:
    key: str
    label: str
    done: bool
    link: str = ""


@dataclass
class Checklist:
    steps: list[Step]
    channel_manager: User | None
    categories: list[str]
    routed: bool = False  # the onboarding rules routed this partner (an applicant)

    @property
    def progress_percent(self) -> int:
        if not self.steps:
            return 100
        return round(100 * sum(s.done for s in self.steps) / len(self.steps))


def checklist(session: Session, actor: User, partner_id: int) -> Checklist:
    """What a new partner does, and how far it got: sign the DPA, brand kit, team, training."""
    partner = partners.get_partner(session, actor, partner_id)
    return _checklist(session, partner, _onboarding_of(session, partner.id))


def dashboard_checklist(
    session: Session, actor: User, partner_id: int, *, status_held: bool
) -> Checklist | None:
    """The checklist a partner's dashboard shows, or None: shown while the onboarding rules
    routed the partner or its status holds something back (``status_held``), until every step
    is done. An active partner's people, most of them, cost one small read, not the steps'."""
    partner = partners.get_partner(session, actor, partner_id)
    onboarding = _onboarding_of(session, partner.id)
    if onboarding is None and not status_held:
        return None
    found = _checklist(session, partner, onboarding)
    return found if found.progress_percent < 100 else None


def _onboarding_of(session: Session, partner_id: int) -> PartnerOnboarding | None:
    return session.scalar(
        select(PartnerOnboarding).where(PartnerOnboarding.partner_id == partner_id)
    )


def _checklist(
    session: Session, partner: Partner, onboarding: PartnerOnboarding | None
) -> Checklist:
    steps: list[Step] = []
    signed = access.dpa_state(partner)
    if signed is not None:
        steps.append(Step("dpa", "Sign the data processing addendum", signed, "/dpa"))
    steps.append(
        Step(
            "brand",
            "Upload your logo to the brand kit",
            brandkits.has_logo(session, partner.id),
            f"/partners/{partner.id}/brand-kit",
        )
    )
    members = session.scalar(
        select(func.count()).where(User.partner_id == partner.id, User.active.is_(True))
    )
    steps.append(Step("team", "Add a colleague to your team", (members or 0) >= 2, "/organisation"))
    path_ids = list(onboarding.path_ids) if onboarding else []
    for path in session.scalars(select(LearningPath).where(LearningPath.id.in_(path_ids))):
        enrolled = session.scalar(
            select(func.count()).where(
                PathEnrolment.partner_id == partner.id, PathEnrolment.path_id == path.id
            )
        )
        certified = session.scalar(
            select(func.count()).where(
                Certification.partner_id == partner.id,
                Certification.path_id == path.id,
                Certification.expires_at > utcnow(),
            )
        )
        steps.append(Step(f"enrol:{path.id}", f"Enrol in {path.name}", bool(enrolled), "/training"))
        steps.append(
            Step(f"certify:{path.id}", f"Get certified: {path.name}", bool(certified), "/training")
        )
    manager = (
        session.get(User, onboarding.channel_manager_id)
        if onboarding and onboarding.channel_manager_id
        else None
    )
    return Checklist(
        steps, manager, list(onboarding.categories) if onboarding else [], onboarding is not None
    )
