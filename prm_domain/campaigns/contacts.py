"""A partner's own mailing contacts: added one by one or from a CSV (validated,
de-duplicated, each with where its consent came from), and unsubscribes that hold for good."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, audit, validation
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import ContactStatus
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.models import Contact, Partner, User
from prm_domain.pagination import Page, paginate
from prm_domain.spreadsheet import read_csv

MAX_IMPORT_BYTES = 2 * 2**20
MAX_IMPORT_ROWS = 20_000


def _ensure_own(actor: User, partner_id: int | None) -> int:
    """Contacts are the partner's own personal data: its admins only, never the vendor."""
    if partner_id is None or not actor.partner_id:
        access.ensure_status(actor, access.Area.CONTENT)
        raise PermissionDenied("Contacts belong to a partner: its admins manage them.")
    access.ensure_visible(actor, partner_id, "Partner", access.Area.CONTENT)
    access.require(actor, Right.RUN_OWN_CAMPAIGNS, "Only the partner's admins manage contacts.")
    return partner_id


def list_contacts(
    session: Session,
    actor: User,
    *,
    q: str | None = None,
    status: ContactStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Contact]:
    partner_id = _ensure_own(actor, actor.partner_id)
    stmt = select(Contact).where(Contact.partner_id == partner_id)
    if q:
        q = validation.text("q", q, max_len=200, required=False)
        stmt = stmt.where(Contact.email.like(validation.contains_pattern(q.lower()), escape="\\"))
    if status is not None:
        stmt = stmt.where(Contact.status == status)
    return paginate(session, stmt.order_by(Contact.email), page=page, per_page=per_page)


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {
        f: "unknown field" for f in values if f not in ("email", "name", "consent_source")
    }
    out: dict[str, Any] = {}
    rules: tuple[tuple[str, Callable[[Any], str]], ...] = (
        ("email", lambda v: validation.email("email", v)),
        ("name", lambda v: validation.text("name", v or "", max_len=200, required=False)),
        ("consent_source", lambda v: validation.text("consent_source", v, max_len=200)),
    )
    for name, rule in rules:
        try:
            out[name] = rule(values.get(name))
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return out


def _existing(session: Session, partner_id: int, emails: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(emails)
    for start in range(0, len(ordered), 500):
        found |= set(
            session.scalars(
                select(Contact.email).where(
                    Contact.partner_id == partner_id,
                    Contact.email.in_(ordered[start : start + 500]),
                )
            )
        )
    return found


def add_contact(session: Session, actor: User, values: Mapping[str, Any]) -> Contact:
    partner_id = _ensure_own(actor, actor.partner_id)
    clean = _clean(values)
    if _existing(session, partner_id, {clean["email"]}):
        raise Conflict("This address is on your list already.", {"email": "already on the list"})
    contact = Contact(partner_id=partner_id, token=secrets.token_urlsafe(32), **clean)
    session.add(contact)
    session.flush()
    audit.record(session, actor, "contact.added", contact, {}, partner_id=partner_id)
    return contact


@dataclass
class ImportResult:
    added: int = 0
    duplicates: int = 0
    invalid: list[dict[str, Any]] = field(default_factory=list)


def import_contacts(
    session: Session, actor: User, data: bytes, consent_source: str | None = None
) -> ImportResult:
    """A CSV with a header row: ``email`` (required), ``name``, ``consent_source`` (or one
    source for the whole file). Bad rows are reported by line and skipped; addresses already
    on the list (in any state: an unsubscribe is never undone by an import) count as
    duplicates."""
    partner_id = _ensure_own(actor, actor.partner_id)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError.for_fields(
            {"file": f"must be at most {MAX_IMPORT_BYTES // 2**20} MB"}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError.for_fields({"file": "must be UTF-8 text (CSV)"}) from None
    default_source = None
    if consent_source:
        default_source = validation.text("consent_source", consent_source, max_len=200)
    headers, reader = read_csv(text)
    if "email" not in headers:
        raise ValidationError.for_fields({"file": "needs a header row with an 'email' column"})
    if "consent_source" not in headers and default_source is None:
        raise ValidationError.for_fields(
            {"consent_source": "give a consent_source column or one source for the whole file"}
        )
    result = ImportResult()
    rows: dict[str, dict[str, Any]] = {}
    for line, row in reader:
        if line - 1 > MAX_IMPORT_ROWS:
            raise ValidationError.for_fields({"file": f"at most {MAX_IMPORT_ROWS} rows at once"})
        values = {
            "email": (row.get("email") or "").strip(),
            "name": (row.get("name") or "").strip(),
            "consent_source": (row.get("consent_source") or "").strip() or default_source,
        }
        try:
            clean = _clean(values)
        except ValidationError as exc:
            result.invalid.append({"line": line, "errors": exc.fields})
            continue
        if clean["email"] in rows:
            result.duplicates += 1
            continue
        rows[clean["email"]] = clean
    existing = _existing(session, partner_id, set(rows))
    for email, clean in rows.items():
        if email in existing:
            result.duplicates += 1
            continue
        session.add(Contact(partner_id=partner_id, token=secrets.token_urlsafe(32), **clean))
        result.added += 1
    session.flush()
    partner = session.get(Partner, partner_id)
    audit.record(
        session,
        actor,
        "contact.imported",
        partner,
        {"added": result.added, "duplicates": result.duplicates, "invalid": len(result.invalid)},
        partner_id=partner_id,
    )
    return result


# -- unsubscribes (public: the link works without signing in) ---------------------------------


def contact_by_token(session: Session, token: str) -> Contact:
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise NotFound("This unsubscribe link is not valid.")
    contact = session.scalar(select(Contact).where(Contact.token == token))
    if contact is None:
        raise NotFound("This unsubscribe link is not valid.")
    return contact


def unsubscribe(session: Session, token: str) -> Contact:
    """Idempotent: a second click (or a mail client's one-click POST) changes nothing more."""
    contact = contact_by_token(session, token)
    if contact.status == ContactStatus.SUBSCRIBED:
        contact.status = ContactStatus.UNSUBSCRIBED
        contact.unsubscribed_at = utcnow()
        session.flush()
        audit.record(
            session, None, "contact.unsubscribed", contact, {}, partner_id=contact.partner_id
        )
    return contact


def mark_bounced(session: Session, partner_id: int, email: str) -> bool:
    """A hard bounce (the partner's mail server refused the address for good): never mailed
    again. True when it changed a subscribed contact; an unsubscribe stays an unsubscribe."""
    contact = session.scalar(
        select(Contact).where(
            Contact.partner_id == partner_id, Contact.email == email.strip().lower()
        )
    )
    if contact is None or contact.status != ContactStatus.SUBSCRIBED:
        return False
    contact.status = ContactStatus.BOUNCED
    session.flush()
    audit.record(session, None, "contact.bounced", contact, {}, partner_id=partner_id)
    return True


def unsubscribe_url(base_url: str, contact: Contact) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{contact.token}"
