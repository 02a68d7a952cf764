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
import re
from typing import IO, Any

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
