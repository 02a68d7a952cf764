"""Claims and payments of a period for finance, as CSV or XLSX.

Every cell is text made inert (``prm_domain.spreadsheet.inert_cell``): a partner's "results"
or a payment reference starting with ``=`` never becomes a formula. In XLSX the cells are
written as strings explicitly, and xlsxwriter's string-to-formula/number/URL conversions are
off; amounts stay exact decimal text, never floats.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import xlsxwriter
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from prm_domain.access import Right, require
from prm_domain.errors import ValidationError
from prm_domain.models import MdfClaim, MdfFund, MdfRequest, Partner, User
from prm_domain.spreadsheet import csv_writer, inert_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    "claim_id",
    "partner",
    "fund",
    "currency",
    "request_id",
    "activity_type",
    "claimed",
    "approved",
    "status",
    "submitted_on",
    "paid_on",
    "payment_reference",
    "results",
)


def rows_for(
    session: Session, actor: User, starts_on: dt.date, ends_on: dt.date
) -> list[list[str]]:
    """Claims submitted or paid in the period (both days included)."""
    require(actor, Right.MANAGE_MDF)
    if ends_on < starts_on:
        raise ValidationError.for_fields({"ends_on": "must not be before starts_on"})
    start = dt.datetime.combine(starts_on, dt.time(), dt.UTC)
    end = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(), dt.UTC)
    stmt = (
        select(MdfClaim, Partner, MdfFund, MdfRequest)
        .join(Partner, Partner.id == MdfClaim.partner_id)
        .join(MdfFund, MdfFund.id == MdfClaim.fund_id)
        .join(MdfRequest, MdfRequest.id == MdfClaim.request_id)
        .where(
            or_(
                (MdfClaim.created_at >= start) & (MdfClaim.created_at < end),
                MdfClaim.paid_on.between(starts_on, ends_on),
            )
        )
        .order_by(MdfClaim.id)
    )
    out: list[list[str]] = []
    for claim, partner, fund, req in session.execute(stmt):
        values: list[Any] = [
            claim.id,
            partner.name,
            fund.name,
            fund.currency,
            req.id,
            req.activity_type.value,
            claim.amount,
            claim.approved_amount,
            claim.status.value,
            claim.created_at.date().isoformat(),
            claim.paid_on,
            claim.payment_reference,
            claim.results,
        ]
        out.append([inert_cell(v) for v in values])
    return out


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet("MDF claims")
    for col, name in enumerate(COLUMNS):
        sheet.write_string(0, col, name)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, value)
    workbook.close()
    return buffer.getvalue()
