"""The vendor's direct pipeline: accounts (by the API or a CSV import) and their opportunities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from prm_domain import access, audit, validation
from prm_domain.deals import matching, names
from prm_domain.errors import Conflict, ValidationError
from prm_domain.models import CrmAccount, DealMatchKey, Opportunity, User
from prm_domain.pagination import Page, paginate
from prm_domain.spreadsheet import read_csv

CSV_COLUMNS = ("name", "domain", "aliases", "owner", "stage")
MAX_IMPORT_ROWS = 20_000
MAX_ALIASES = 20


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field, rule in (
        ("name", lambda v: validation.text("name", v, max_len=200)),
        ("owner", lambda v: validation.text("owner", v, max_len=120, required=False)),
        ("stage", lambda v: validation.text("stage", v, max_len=40, required=False)),
        ("domain", _domain),
        (
            "aliases",
            lambda v: validation.string_list("aliases", v, max_items=MAX_ALIASES, max_len=200),
        ),
    ):
        try:
            clean[field] = rule(values.get(field, [] if field == "aliases" else ""))
        except ValidationError as exc:
            problems.update(exc.fields)
    if "name" in clean and not names.normalise(clean["name"]):
        problems["name"] = "must contain letters or digits"
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def _domain(value: Any) -> str:
    text = validation.text("domain", value, max_len=253, required=False).lower()
    if not text:
        return ""
    if names.company_domain(text) != text.removeprefix("www."):
        raise validation.fail("domain", "must be a company's domain name, e.g. example.com")
    try:
        return validation.hostname("domain", text.removeprefix("www."))
    except ValidationError:
        raise validation.fail("domain", "must be a domain name, e.g. example.com") from None


def index_keys(session: Session, source: str, ref_id: int, cand: matching.Candidate) -> None:
    session.execute(
        delete(DealMatchKey).where(DealMatchKey.source == source, DealMatchKey.ref_id == ref_id)
    )
    session.add_all(DealMatchKey(source=source, ref_id=ref_id, key=k[:260]) for k in cand.keys)


def _add(session: Session, clean: Mapping[str, Any], opportunities: Sequence[Any]) -> CrmAccount:
    account = CrmAccount(name_key=names.normalise(clean["name"])[:200], **clean)
    for opp in opportunities:
        account.opportunities.append(Opportunity(**opp))
    session.add(account)
    session.flush()
    cand = matching.Candidate(account.id, account.name, tuple(account.aliases), account.domain)
    index_keys(session, "account", account.id, cand)
    return account


def _clean_opportunities(values: Any) -> list[dict[str, Any]]:
    if not isinstance(values, list) or len(values) > 50:
        raise validation.fail("opportunities", "must be a list of at most 50")
    out = []
    for n, opp in enumerate(values):
        if not isinstance(opp, Mapping):
            raise validation.fail(f"opportunities.{n}", "must be an object")
        out.append(
            {
                "name": validation.text(f"opportunities.{n}.name", opp.get("name"), max_len=200),
                "stage": validation.text(f"opportunities.{n}.stage", opp.get("stage"), max_len=40),
                "is_open": bool(opp.get("is_open", True)),
            }
        )
    return out


def create_account(session: Session, actor: User, values: Mapping[str, Any]) -> CrmAccount:
    access.ensure_can_manage_accounts(actor)
    opportunities = _clean_opportunities(values.get("opportunities", []))
    clean = _clean({k: v for k, v in values.items() if k != "opportunities"})
    _ensure_new(session, [clean["name"]])
    account = _add(session, clean, opportunities)
    audit.record(session, actor, "crm_account.created", account, {"name": account.name})
    return account


def _ensure_new(session: Session, new_names: Sequence[str]) -> None:
    keys = {names.normalise(n)[:200] for n in new_names}
    taken = set(session.scalars(select(CrmAccount.name_key).where(CrmAccount.name_key.in_(keys))))
    if taken:
        raise Conflict("An account with this name exists already.", {"name": "already an account"})


def list_accounts(
    session: Session, actor: User, *, q: str = "", page: int = 1, per_page: int = 50
) -> Page[CrmAccount]:
    access.ensure_can_manage_accounts(actor)
    stmt = select(CrmAccount).order_by(CrmAccount.name, CrmAccount.id)
    if q:
        stmt = stmt.where(CrmAccount.name_key.contains(names.normalise(q), autoescape=True))
    return paginate(session, stmt, page=page, per_page=per_page)


def import_accounts(session: Session, actor: User, data: bytes) -> int:
    """Add the accounts of a CSV file (name, domain, aliases separated by ";", owner, stage).
    All or nothing: any bad row refuses the whole file, naming each problem as "row N: field"."""
    access.ensure_can_manage_accounts(actor)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError.for_fields({"file": "must be UTF-8 text (CSV)"}) from None
    header, reader = read_csv(text)
    missing = [c for c in ("name",) if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        why = "needs a header row with: " + ", ".join(CSV_COLUMNS)
        if unknown:
            why += "; unknown column: " + ", ".join(unknown)
        raise ValidationError.for_fields({"file": why})
    rows: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    seen: dict[str, int] = {}
    for n, raw in reader:  # row 1 is the header
        if n - 1 > MAX_IMPORT_ROWS:
            raise ValidationError.for_fields({"file": f"at most {MAX_IMPORT_ROWS} rows"})
        if None in raw:
            problems[f"row {n}"] = "has more cells than the header"
            continue
        values = {k: (v or "").strip() for k, v in raw.items()}
        values["aliases"] = [a.strip() for a in values.get("aliases", "").split(";") if a.strip()]
        try:
            clean = _clean(values)
        except ValidationError as exc:
            problems.update({f"row {n}: {f}": why for f, why in exc.fields.items()})
            continue
        key = names.normalise(clean["name"])
        if key in seen:
            problems[f"row {n}: name"] = f"the same company as row {seen[key]}"
            continue
        seen[key] = n
        rows.append(clean)
    if not rows and not problems:
        problems["file"] = "has no rows"
    taken = set(
        session.scalars(select(CrmAccount.name_key).where(CrmAccount.name_key.in_(list(seen))))
    )
    for key in taken:
        problems[f"row {seen[key]}: name"] = "already an account"
    if problems:
        first = sorted(problems, key=_row_order)[:50]  # a huge bad file gets a readable answer
        raise ValidationError.for_fields({k: problems[k] for k in first})
    added = [_add(session, clean, []) for clean in rows]
    audit.record(session, actor, "crm_account.imported", added[-1], {"rows": len(rows)})
    return len(rows)


def _row_order(key: str) -> tuple[int, str]:
    head = key.split(":")[0].removeprefix("row ")
    return (int(head) if head.isdigit() else 0, key)
