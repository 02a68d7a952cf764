"""The fonts shipped with the engine (DejaVu, which covers Latin, Greek and Cyrillic)."""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "CobrandDejaVuSans"
BOLD = "CobrandDejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


def font_path(name: str) -> Path:
    return FONT_DIR / _FILES[name]


@functools.cache
def pdf_font(bold: bool = False) -> str:
    """Register the font with reportlab once per process: parsing the TTF costs tens of ms."""
    name = BOLD if bold else REGULAR
    pdfmetrics.registerFont(TTFont(name, str(font_path(name))))
    return name


def string_width(text: str, size: float, bold: bool = False) -> float:
    return float(pdfmetrics.stringWidth(text, pdf_font(bold), size))
