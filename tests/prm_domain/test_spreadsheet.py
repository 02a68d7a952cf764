"""CSV exports stay inert in a spreadsheet that splits on "," or ";" (or tabs)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.errors import ValidationError
from prm_domain.models import Lead, User
from prm_domain.spreadsheet import inert_cell, read_csv
from prm_domain.syndication import leads

HOSTILE = [
    '=HYPERLINK("https://evil.test","click")',
    "+49 30 1234567",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    'Acme;=HYPERLINK("https://evil.test")',
    "Acme,=cmd|' /C calc'!A0",
    'Acme; "=1+1"',
    'Acme;"=1+1"',
    "Acme\t@SUM(1)",
    "line one\n=1+1",
    "line one\r\n-1",
    "Müller, =2",
    '"=1+1"',
    "  =1+1",
]
FORMULA = tuple("=+-@\t\r")


def _starts_a_formula(cell: str) -> bool:
    # A spreadsheet may drop leading spaces and a stray quote before it looks at a cell.
    return cell.lstrip(' "').startswith(FORMULA)


def _cells(data: str, delimiter: str) -> list[str]:
    rows = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter)
    return [cell for row in rows for cell in row]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_cell_stays_text_however_the_line_is_split(value: str) -> None:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerow(["1", inert_cell(value), "x"])
    for delimiter in (",", ";", "\t"):
        cells = _cells(out.getvalue(), delimiter)
        assert not [c for c in cells if _starts_a_formula(c)], (delimiter, cells)
    # Read back as intended, the value is all there after the neutralising apostrophes.
    assert _cells(out.getvalue(), ",")[1].replace("'", "") == value.replace("'", "")


@pytest.mark.parametrize("value", ["Acme GmbH", "a-b", "x=y", "O'Brien", "", None, 42])
def test_harmless_cells_are_left_alone(value: Any) -> None:
    assert inert_cell(value) == ("" if value is None else str(value))


def test_the_leads_export_is_inert_in_comma_and_semicolon_spreadsheets(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Any]
) -> None:
    partner = make_partner()
    for n, value in enumerate(HOSTILE):
        session.add(
            Lead(
                partner_id=partner.id,
                name=value,
                email=f"lead{n}@buyer.example",
                company=value,
                phone=value,
                message=value,
                page_url="https://shop.example.com/p?a=1;=2",
                utm={"utm_source": value},
                fingerprint=f"{n:064d}",
            )
        )
    session.flush()
    data = leads.export_csv(session, make_user(Role.VENDOR_ADMIN))
    for delimiter in (",", ";", "\t"):
        cells = _cells(data, delimiter)
        assert not [c for c in cells if _starts_a_formula(c)], delimiter
    # Every field is quoted, so a reader that honours quotes splits nothing inside a cell.
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert all(len(row) == len(leads.CSV_COLUMNS) for row in rows)
    assert data.startswith('"id","created_at"')


def test_read_csv_numbers_rows_and_names_the_row_a_hostile_field_is_on() -> None:
    header, rows = read_csv(" Email ,Name\na@x.example,A\n\nb@x.example,B,extra\n")
    assert header == ["email", "name"]
    assert [(n, r["email"], r.get(None)) for n, r in rows] == [
        (2, "a@x.example", None),
        (3, "b@x.example", ["extra"]),  # blank lines are skipped, as a spreadsheet shows
    ]
    too_long = f"a field is longer than {csv.field_size_limit()} characters"
    huge = "x" * (csv.field_size_limit() + 1)
    with pytest.raises(ValidationError) as exc:
        read_csv(f"email,{huge}\n")
    assert exc.value.fields == {"file": f"row 1: {too_long}"}
    _, rows = read_csv(f"email\na@x.example\n{huge}\n")
    with pytest.raises(ValidationError) as exc:
        list(rows)
    assert exc.value.fields == {"file": f"row 3: {too_long}"}
