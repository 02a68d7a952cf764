"""Partner services: required fields, clean values, unique names, tier ids, scoping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from prm_domain import partners
from prm_domain.enums import PartnerStatus, Role
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.models import Partner, Tier, User


def values(tier: Tier, **kw: Any) -> dict[str, Any]:
    return {
        "name": "Acme",
        "type": "msp",
        "tier_id": tier.id,
        "country": "fr",
        "region": "EMEA",
    } | kw


def test_create_cleans_values(
    session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    tier = make_tier()
    p = partners.create_partner(
        session, make_user(Role.CHANNEL_MANAGER), values(tier, website_domains=["Bücher.DE."])
    )
    assert (p.name_key, p.country, p.status) == ("acme", "FR", PartnerStatus.PROSPECT)
    assert p.website_domains == ["xn--bcher-kva.de"]
    assert p.tier_name == tier.name


def test_create_requires_fields(session: Session, make_user: Callable[..., User]) -> None:
    with pytest.raises(ValidationError) as exc:
        partners.create_partner(session, make_user(Role.VENDOR_ADMIN), {"name": "x"})
    assert set(exc.value.fields) == {"type", "tier_id", "country", "region"}


@pytest.mark.parametrize("tier_id", [0, -1, 2**31, 10**20, "1", True, 1.0, None, 2_000_000_000])
def test_unknown_tier_ids_are_a_validation_error(
    tier_id: Any, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    # Ids beyond the integer column used to overflow the driver (a 500 over the API).
    with pytest.raises(ValidationError) as exc:
        partners.create_partner(
            session, make_user(Role.VENDOR_ADMIN), values(make_tier(), tier_id=tier_id)
        )
    assert exc.value.fields == {"tier_id": "is not a known tier"}


def test_names_unique_case_insensitively(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    existing = make_partner(name="Acme IT")
    vendor = make_user(Role.VENDOR_ADMIN)
    with pytest.raises(Conflict):
        partners.create_partner(session, vendor, values(existing.tier, name="ACME it"))
    other = make_partner()
    with pytest.raises(Conflict):
        partners.update_partner(session, vendor, other.id, {"name": "acme IT"})
    # Renaming to itself in another case is fine.
    assert (
        partners.update_partner(session, vendor, existing.id, {"name": "ACME IT"}).name == "ACME IT"
    )


def test_update_refuses_nulls_and_unknown_fields(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    vendor, p = make_user(Role.VENDOR_ADMIN), make_partner()
    with pytest.raises(ValidationError) as exc:
        partners.update_partner(session, vendor, p.id, {"name": None, "status": None})
    assert set(exc.value.fields) == {"name", "status"}
    with pytest.raises(ValidationError) as exc:
        partners.update_partner(session, vendor, p.id, {"name_key": "x"})
    assert exc.value.fields == {"name_key": "unknown field"}


def test_update_tier_refreshes_tier_name(
    session: Session,
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    make_tier: Callable[..., Tier],
) -> None:
    p, gold = make_partner(), make_tier(name="Gold")
    assert p.tier_name != "Gold"
    partners.update_partner(session, make_user(Role.VENDOR_ADMIN), p.id, {"tier_id": gold.id})
    assert (p.tier_id, p.tier_name) == (gold.id, "Gold")


def test_partner_admin_profile_only(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    p = partners.update_partner(session, admin, admin.partner_id, {"business_model": "services"})
    assert p.business_model == "services"
    with pytest.raises(PermissionDenied) as exc:
        partners.update_partner(session, admin, admin.partner_id, {"status": "exited"})
    assert exc.value.fields == {"status": "set by the vendor"}
    # Verticals gate content: a partner admin adding one would reach restricted assets.
    with pytest.raises(PermissionDenied) as exc:
        partners.update_partner(session, admin, admin.partner_id, {"verticals": ["Health"]})
    assert exc.value.fields == {"verticals": "set by the vendor; propose a change"}
    assert session.get(Partner, admin.partner_id).verticals == []
    with pytest.raises(NotFound):
        partners.update_partner(session, admin, make_partner().id, {"website_domains": []})


def test_list_scoped_and_q_refuses_nul(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    mine = make_user(Role.PARTNER_USER)
    make_partner()
    page = partners.list_partners(session, mine)
    assert [p.id for p in page.items] == [mine.partner_id]
    with pytest.raises(ValidationError):
        partners.list_partners(session, mine, q="a\x00b")
    # An out-of-range tier id simply matches nothing.
    assert partners.list_partners(session, make_user(Role.VENDOR_ADMIN), tier_id=10**20).total == 0


def test_get_missing_partner(session: Session, make_user: Callable[..., User]) -> None:
    with pytest.raises(NotFound):
        partners.get_partner(session, make_user(Role.VENDOR_ADMIN), 2_000_000_000)


@pytest.mark.parametrize("name", ["ß" * 200, "ﬃ" * 67])
def test_name_whose_key_outgrows_the_column(
    name: str, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    with pytest.raises(ValidationError) as exc:
        partners.create_partner(
            session, make_user(Role.VENDOR_ADMIN), values(make_tier(), name=name)
        )
    assert set(exc.value.fields) == {"name"}


def test_names_are_those_the_actor_may_see(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    """What a list's rows say of their partners: vendor staff any, a partner's people only
    their own organisation's name, whatever ids a page brings."""
    alpha, beta = make_partner(), make_partner()
    ids = {alpha.id, beta.id, 10**9}
    vendor = make_user(Role.CHANNEL_MANAGER)
    assert partners.names(session, vendor, ids) == {alpha.id: alpha.name, beta.id: beta.name}
    member = make_user(Role.PARTNER_ADMIN, partner=alpha)
    assert partners.names(session, member, ids) == {alpha.id: alpha.name}
    assert partners.names(session, member, []) == {}
