"""Cells that stay text in any spreadsheet, whatever separator it splits a CSV file on.

A spreadsheet evaluates a cell that starts with = + - @ (or a tab or CR) as a formula
(OWASP "CSV injection"). Quoting every field keeps separators inside a cell from splitting it
in a reader that honours quotes; but a German or French spreadsheet opening a comma-separated
file splits on ";" and loses track of the quotes, so a cell ``a;=HYPERLINK(...)`` would become
a formula there. So a formula start is neutralised at the start of the cell and after every
character any spreadsheet splits on (, ; tab and line breaks), with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import IO, Any

from prm_domain.errors import ValidationError

FORMULA_START = "=+-@\t\r"
SEPARATORS = ",;\t\r\n"
# Spaces and quotes may sit between a split and the formula: `a; "=1"` would still start one.
_AT_START = re.compile(r'^[ "]*[=+\-@\t\r]')
_AFTER_SEPARATOR = re.compile(r'([,;\t\r\n])(?=[ "]*[=+\-@\t\r])')


def inert_cell(value: Any) -> str:
    """``value`` as text that no spreadsheet evaluates, however it splits the line."""
    text = "" if value is None else str(value)
    text = _AFTER_SEPARATOR.sub(r"\1'", text)
    if _AT_START.match(text):
        text = "'" + text
    return text


def csv_writer(out: IO[str]) -> Any:
    """A CSV writer that quotes every field; pair it with ``inert_cell`` for each value."""
    return csv.writer(out, quoting=csv.QUOTE_ALL)


# -- reading imported CSV files ----------------------------------------------------------------


def _unreadable(row: int, exc: csv.Error) -> ValidationError:
    why = str(exc)
    if "field limit" in why:
        why = f"a field is longer than {csv.field_size_limit()} characters"
    else:
        why = f"is not readable CSV ({why})"[:200]
    return ValidationError.for_fields({"file": f"row {row}: {why}"})


def read_csv(text: str) -> tuple[list[str], Iterator[tuple[int, dict[str | Any, Any]]]]:
    """The header (cells stripped and lower-cased) and the rows of an uploaded CSV file, each
    numbered as a spreadsheet shows it (the header is row 1) and keyed by the header.

    A file the csv module cannot read (a field, or a header cell, over its field size limit;
    a stray quote) raises ``ValidationError`` naming the row, from the header as from any row,
    instead of escaping as ``csv.Error``. A row with more cells than the header has the extra
    ones under the key ``None``."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise _unreadable(1, exc) from None
    reader.fieldnames = header

    def rows() -> Iterator[tuple[int, dict[str | Any, Any]]]:
        number = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _unreadable(number + 1, exc) from None
            number += 1
            yield number, row

    return header, rows()
