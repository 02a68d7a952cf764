"""Where each zone's content goes, in a y-down coordinate space shared by PDF and images."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import segno

from ._cache import ByteBoundedCache
from ._errors import InvalidZoneError
from ._fonts import string_width
from ._model import BrandKit, PageSize, Zone
from ._text import ASCENT, DESCENT, MIN_READABLE_PT, fit_text, render_zone_text


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


def zone_rect(zone: Zone, width: float, height: float) -> Rect:
    x, y, w, h = zone.box
    return Rect(x * width, y * height, w * width, h * height)


def place_logo(box: Rect, logo_w: int, logo_h: int, zone: Zone) -> Rect:
    """Scale to fill the box in one direction, keep the aspect ratio, align in the other."""
    scale = min(box.w / logo_w, box.h / logo_h)
    w, h = logo_w * scale, logo_h * scale
    return Rect(_align(box.x, box.w, w, zone.align), _valign(box.y, box.h, h, zone.valign), w, h)


def _align(start: float, space: float, size: float, align: str) -> float:
    if align == "center":
        return start + (space - size) / 2
    if align == "right":
        return start + space - size
    return start


def _valign(start: float, space: float, size: float, valign: str) -> float:
    if valign == "middle":
        return start + (space - size) / 2
    if valign == "bottom":
        return start + space - size
    return start


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float
    baseline: float
    size: float


def _measure(zone: Zone) -> Callable[[str, float], float]:
    def measure(s: str, size: float) -> float:
        return string_width(s, size, zone.bold)

    return measure


def layout_text(text: str, box: Rect, zone: Zone, min_size: float) -> list[TextLine]:
    measure = _measure(zone)
    fitted = fit_text(text, box.w, box.h, zone.font_size, min_size, measure, zone.wrap)
    block = fitted.line_height * len(fitted.lines)
    top = _valign(box.y, box.h, block, zone.valign)
    lines = []
    for i, line in enumerate(fitted.lines):
        if not line:
            continue
        lw = measure(line, fitted.size)
        half_leading = (fitted.line_height - (ASCENT + DESCENT) * fitted.size) / 2
        baseline = top + i * fitted.line_height + half_leading + ASCENT * fitted.size
        lines.append(TextLine(line, _align(box.x, box.w, lw, zone.align), baseline, fitted.size))
    return lines


# The smallest size each medium draws text at: points on paper, pixels in an image.
MIN_TEXT_SIZE = {"pdf": MIN_READABLE_PT, "image": 8.0}


@dataclass(frozen=True)
class TextFit:
    """How a text zone comes out for one brand: the size and lines the renderer will draw."""

    text: str
    lines: tuple[str, ...]
    size: float  # points on a PDF page, pixels on an image
    min_size: float  # the readable minimum of the medium
    truncated: bool  # part of the text is cut off (ellipsised)

    @property
    def readable(self) -> bool:
        # A hundredth of a point of slack: fitting multiplies by 0.98 and rounds.
        return not self.truncated and self.size >= self.min_size - 0.01


def fit_zone_text(
    zone: Zone, brand: BrandKit, page: PageSize, medium: Literal["pdf", "image"] = "pdf"
) -> TextFit:
    """The size and lines a text zone's text gets for ``brand`` on a page of ``page`` size.

    The same fitting as the renderers (so the zone editor can warn about what will print),
    without drawing anything: a few string-width measurements.
    """
    if zone.kind != "text":
        raise InvalidZoneError("Only text zones have a text size.")
    if medium not in MIN_TEXT_SIZE:
        raise InvalidZoneError(f"Unknown medium {medium!r}: use 'pdf' or 'image'.")
    text = render_zone_text(zone.text, brand)
    box = zone_rect(zone, page.width, page.height)
    minimum = MIN_TEXT_SIZE[medium]
    fitted = fit_text(text, box.w, box.h, zone.font_size, minimum, _measure(zone), zone.wrap)
    return TextFit(text, fitted.lines, fitted.size, minimum, fitted.truncated)


@dataclass(frozen=True)
class QrCode:
    """A QR code as dark rectangles in module units (row runs merged), quiet zone included."""

    size: int
    runs: tuple[tuple[int, int, int], ...]  # (row, first column, length)


# A QR code of the longest URL is about 15,000 runs; most tracking links are a few hundred.
_QR_CODES: ByteBoundedCache[QrCode] = ByteBoundedCache(
    "qr codes", 8 * 2**20, lambda code: 100 * len(code.runs) + 256
)


def qr_code(url: str | None) -> QrCode:
    if not url:
        raise InvalidZoneError("A QR zone needs the brand's tracking_url, which is empty.")
    return _QR_CODES.get(url, lambda: _make_qr_code(url))


def _make_qr_code(url: str) -> QrCode:
    try:
        qr = segno.make(url, error="m", micro=False)
    except (ValueError, segno.DataOverflowError) as exc:
        raise InvalidZoneError(f"The tracking URL cannot be encoded as a QR code: {exc}") from exc
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return QrCode(len(matrix), tuple(runs))


def qr_square(box: Rect, zone: Zone) -> Rect:
    side = min(box.w, box.h)
    return Rect(
        _align(box.x, box.w, side, zone.align), _valign(box.y, box.h, side, zone.valign), side, side
    )
