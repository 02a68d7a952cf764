"""Text zones stay readable: wrap to fill the box before shrinking, never below 7 pt (then an
ellipsis), and ``fit_zone_text`` tells the zone editor the size the renderer will draw."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from asset_engine import (
    MIN_TEXT_SIZE,
    Contact,
    InvalidZoneError,
    PageSize,
    Zone,
    cobrand_pdf,
    fit_zone_text,
)
from asset_engine._fonts import string_width

from .engine_helpers import make_brand, make_pdf, render

A4 = (595.0, 842.0)
CONTACT_LINE = (
    "{{ contact.phone }} · {{ contact.email }} · {{ contact.website }} · {{ contact.address }}"
)
CONTACT = Contact(
    name="Maria Huber",
    phone="+49 89 1234 5678",
    email="sales@alpine-it.example",
    website="www.alpine-it.example",
    address="Leopoldstraße 42, 80802 München",
)
# The box of the report: 76 pt high, about a third of the page wide.
BOX = (0.06, 0.82, 0.35, 76 / A4[1])
SCALE = 3  # pixels per point when rendering


def _sizes(pdf: bytes) -> list[float]:
    """The font size of every piece of text drawn on page 1, in points."""
    sizes: list[float] = []

    def visitor(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.append(size * tm[0])

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visitor)  # type: ignore[arg-type]
    return sizes


def _ink_bands(image: Image.Image) -> list[tuple[int, int]]:
    """Rows of ink as (first row, last row) runs: one run per printed line of text."""
    grey = image.convert("L")
    width, height = grey.size
    data = grey.tobytes()
    inked = [min(data[y * width : (y + 1) * width]) < 160 for y in range(height)]
    bands: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate([*inked, False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            bands.append((start, y - 1))
            start = None
    return bands


def _box_crop(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    x, y, w, h = box
    return image.crop(
        (
            int(x * image.width),
            int(y * image.height),
            int((x + w) * image.width),
            int((y + h) * image.height),
        )
    )


def test_a_contact_line_in_a_tall_box_wraps_instead_of_shrinking_to_unreadable() -> None:
    brand = make_brand(contact=CONTACT, primary_color="#000000")
    text = f"{CONTACT.phone} · {CONTACT.email} · {CONTACT.website} · {CONTACT.address}"  # as filled
    # On one line, this text would have to print at well under 7 pt to fit the width.
    one_line = BOX[2] * A4[0] * 0.98 / string_width(text, 1.0)
    assert one_line < 5
    zone = Zone("text", BOX, text=CONTACT_LINE)
    out = cobrand_pdf(make_pdf([{"size": A4}], text=""), brand, [zone])
    sizes = _sizes(out)
    assert sizes and min(sizes) >= 7.0
    assert min(sizes) > one_line * 2  # it filled the box's height, not only its width
    extracted = PdfReader(io.BytesIO(out)).pages[0].extract_text()
    assert " ".join(extracted.split()) == text  # every word printed, none cut
    # In pixels: several separate lines of text, each tall enough to read, all inside the box.
    image = render(out, scale=SCALE)
    bands = _ink_bands(_box_crop(image, BOX))
    assert len(bands) >= 3, bands
    # DejaVu's digits and capitals stand 0.73 em tall: a 7 pt line is over 5 pt of ink.
    tallest = max(last - first + 1 for first, last in bands)
    assert tallest >= 7.0 * 0.73 * SCALE
    whole = _ink_bands(image)
    top, bottom = BOX[1] * image.height, (BOX[1] + BOX[3]) * image.height
    assert all(top - 2 <= first and last <= bottom + 2 for first, last in whole)


def test_text_too_long_for_its_box_stops_at_7pt_and_ends_with_an_ellipsis() -> None:
    address = "Unit 4, Harbour Business Park, 221 Long Quay Road, Port Elizabeth 6001, " * 6
    brand = make_brand(contact=Contact(address=address.strip()), primary_color="#000000")
    box = (0.1, 0.1, 0.3, 30 / A4[1])
    zone = Zone("text", box, text="{{ contact.address }}")
    out = cobrand_pdf(make_pdf([{"size": A4}], text=""), brand, [zone])
    sizes = _sizes(out)
    assert sizes and min(sizes) >= 6.99
    assert "\u2026" in PdfReader(io.BytesIO(out)).pages[0].extract_text()
    fit = fit_zone_text(zone, brand, PageSize(*A4))
    assert fit.truncated and not fit.readable
    assert fit.size == pytest.approx(min(sizes), abs=0.01)
    image = render(out, scale=SCALE)
    bands = _ink_bands(_box_crop(image, box))
    assert len(bands) == 3  # as many lines as 30 pt hold at 7 pt (30 // 8.4)


@pytest.mark.parametrize("height", [8.2, 8.45, 8.55])
def test_cut_text_in_a_box_of_one_line_prints_at_the_minimum_not_just_below(
    height: float,
) -> None:
    """A box a little lower than one 7 pt line with its spacing (8.4 pt, plus slack) but high
    enough for the letters: the cut text prints at 7 pt, as the editor's message says."""
    address = "Unit 4, Harbour Business Park, 221 Long Quay Road, Port Elizabeth 6001"
    brand = make_brand(contact=Contact(address=address), primary_color="#000000")
    box = (0.1, 0.1, 0.2, height / A4[1])
    zone = Zone("text", box, text="{{ contact.address }}")
    fit = fit_zone_text(zone, brand, PageSize(*A4))
    assert fit.truncated and fit.size == 7.0 and len(fit.lines) == 1
    out = cobrand_pdf(make_pdf([{"size": A4}], text=""), brand, [zone])
    assert _sizes(out) == [pytest.approx(7.0, abs=0.01)]
    # The letters stay inside the box: no ink above or below it.
    image = render(out, scale=SCALE)
    x0, y0 = int(box[0] * A4[0] * SCALE), int(box[1] * A4[1] * SCALE)
    x1 = int((box[0] + box[2]) * A4[0] * SCALE)
    y1 = int((box[1] + box[3]) * A4[1] * SCALE)
    above = image.crop((x0, y0 - 4 * SCALE, x1, y0 - 1)).convert("L")
    below = image.crop((x0, y1 + 1, x1, y1 + 4 * SCALE)).convert("L")
    assert above.getextrema()[0] > 200 and below.getextrema()[0] > 200


def test_a_name_that_fits_on_one_line_stays_on_one_line() -> None:
    brand = make_brand(partner_name="Alpine IT Solutions", primary_color="#000000")
    zone = Zone("text", (0.1, 0.1, 0.5, 0.03), text="{{ partner_name }}")
    fit = fit_zone_text(zone, brand, PageSize(*A4))
    assert fit.lines == ("Alpine IT Solutions",) and fit.readable
    out = cobrand_pdf(make_pdf([{"size": A4}], text=""), brand, [zone])
    assert _sizes(out) == [pytest.approx(fit.size, abs=0.01)]


def test_fit_zone_text_reports_what_the_pdf_draws() -> None:
    brand = make_brand(contact=CONTACT, primary_color="#000000")
    zone = Zone("text", BOX, text=CONTACT_LINE)
    fit = fit_zone_text(zone, brand, PageSize(*A4))
    assert fit.readable and not fit.truncated and len(fit.lines) >= 3
    assert fit.min_size == MIN_TEXT_SIZE["pdf"] == 7.0
    out = cobrand_pdf(make_pdf([{"size": A4}], text=""), brand, [zone])
    assert all(s == pytest.approx(fit.size, abs=0.01) for s in _sizes(out))
    # A box too low for one 7 pt line: the text cannot be printed readably.
    low = Zone("text", (0.1, 0.1, 0.3, 6 / A4[1]), text="{{ partner_name }}")
    tiny = fit_zone_text(low, brand, PageSize(*A4))
    assert tiny.size < 7 and not tiny.readable
    # An explicit small font size is honoured, and reported as below the readable minimum.
    small = Zone("text", (0.1, 0.1, 0.5, 0.1), text="{{ partner_name }}", font_size=5)
    honoured = fit_zone_text(small, brand, PageSize(*A4))
    assert honoured.size == pytest.approx(4.9) and not honoured.readable
    with pytest.raises(InvalidZoneError):
        fit_zone_text(Zone("logo", BOX), brand, PageSize(*A4))
