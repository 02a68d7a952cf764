"""Every CSV import answers a hostile file (a field, or a header cell, over the csv module's field
size limit) with a 422 naming the row, and stores nothing: never a 500."""

from __future__ import annotations

import csv
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.models import Contact, CrmAccount, Lead, Partner, User
from tests.conftest import Api

HUGE = b"x" * 200_000  # over the csv module's default field limit (131,072 characters)
TOO_LONG = f"a field is longer than {csv.field_size_limit()} characters"

# url, role, model counted, a valid header and row, a row of the right shape to end with HUGE
IMPORTERS = {
    "contacts": (
        "/api/v1/contacts/import?consent_source=fair",
        Role.PARTNER_ADMIN,
        Contact,
        b"email,name\nok@example.com,Ok\n",
        b"big@example.com,",
    ),
    "accounts": (
        "/api/v1/accounts/import",
        Role.CHANNEL_MANAGER,
        CrmAccount,
        b"name,domain\nAcme Corp,acme.example\n",
        b"Big Corp,",
    ),
    "leads": (
        "/api/v1/leads/import",
        Role.VENDOR_ADMIN,
        Lead,
        b"email,company\nok@lead.example,Ok Co\n",
        b"big@lead.example,",
    ),
}


@pytest.mark.parametrize("where", ["field", "header"])
@pytest.mark.parametrize("importer", IMPORTERS)
def test_an_oversized_cell_is_a_422_naming_the_row_and_nothing_is_stored(
    importer: str,
    where: str,
    session: Session,
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Callable[[User | None], Api],
) -> None:
    url, role, model, valid, row_start = IMPORTERS[importer]
    partner = make_partner() if role == Role.PARTNER_ADMIN else None
    api = api_as(make_user(role, partner))
    if where == "field":  # the header and row 2 are fine; row 3 holds the huge field
        data, row = valid + row_start + HUGE + b"\n", 3
    else:
        header, _, rest = valid.partition(b"\n")
        data, row = header + b"," + HUGE + b"\n" + rest, 1
    count = select(func.count()).select_from(model)
    before = session.scalar(count)
    r = api.request("POST", url, data=data)
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    assert r.json["error"]["fields"] == {"file": f"row {row}: {TOO_LONG}"}
    session.expire_all()
    assert session.scalar(count) == before
    # The same file without the huge cell imports: the refusal was about that cell only.
    r = api.request("POST", url, data=valid)
    assert r.status_code in (200, 201), r.json
    assert session.scalar(count) == (before or 0) + 1
