"""Fixtures built in code: small PDFs, logos and pixel probes."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject, RectangleObject
from reportlab.pdfgen.canvas import Canvas

from asset_engine import BrandKit, Contact

RED = (255, 0, 0)


def png(
    color: tuple[int, ...] = RED, size: tuple[int, int] = (200, 100), mode: str = "RGB"
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


def make_brand(**overrides: object) -> BrandKit:
    fields: dict[str, object] = {
        "partner_name": "Acme Partners",
        "logo": png(),
        "contact": Contact(
            name="Jane Doe", phone="+1 555 0100", email="jane@acme.test", website="acme.test"
        ),
        "primary_color": "#0000ff",
        "tracking_url": "https://cobrand.test/t/abc123",
    }
    fields.update(overrides)
    return BrandKit(**fields)  # type: ignore[arg-type]


def make_pdf(
    pages: list[dict[str, object]] | None = None, text: str = "Original page text"
) -> bytes:
    """Pages as dicts: size=(w,h), rotate, media=(x0,y0,x1,y1), crop=(...)."""
    pages = pages or [{}]
    out = io.BytesIO()
    canvas = Canvas(out)
    for number, spec in enumerate(pages, start=1):
        w, h = spec.get("size", (600, 800))  # type: ignore[misc]
        canvas.setPageSize((w, h))
        if text:
            canvas.setFont("Helvetica", 10)
            canvas.drawString(20, 20, f"{text} {number}")
        canvas.showPage()
    canvas.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(out.getvalue())))
    for page, spec in zip(writer.pages, pages, strict=True):
        if "media" in spec:
            page.mediabox = RectangleObject(spec["media"])  # type: ignore[arg-type]
        if "crop" in spec:
            page.cropbox = RectangleObject(spec["crop"])  # type: ignore[arg-type]
        if "rotate" in spec:
            page[NameObject("/Rotate")] = NumberObject(spec["rotate"])  # type: ignore[arg-type]
    result = io.BytesIO()
    writer.write(result)
    return result.getvalue()


def render(pdf: bytes, page: int = 1, scale: float = 0.5) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[page - 1].render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()


def matching_bbox(
    image: Image.Image, predicate: str = "red"
) -> tuple[float, float, float, float] | None:
    """Bounding box (fractions x0, y0, x1, y1) of pixels of a kind, or None."""
    rgb = image.convert("RGB")
    r, g, b = (band.point(lambda v: v) for band in rgb.split())
    if predicate == "red":
        mask = Image.eval(r, lambda v: 255 if v > 200 else 0)
        low = Image.eval(Image.eval(g, lambda v: 255 if v < 80 else 0), lambda v: v)
        mask = Image.composite(low, Image.new("L", rgb.size, 0), mask)
        low_b = Image.eval(b, lambda v: 255 if v < 80 else 0)
        mask = Image.composite(low_b, Image.new("L", rgb.size, 0), mask)
    elif predicate == "dark":
        mask = Image.eval(rgb.convert("L"), lambda v: 255 if v < 100 else 0)
    elif predicate == "nonwhite":
        mask = Image.eval(rgb.convert("L"), lambda v: 255 if v < 235 else 0)
    else:
        raise ValueError(predicate)
    box = mask.getbbox()
    if box is None:
        return None
    w, h = rgb.size
    return box[0] / w, box[1] / h, box[2] / w, box[3] / h
