"""The fast incremental path (qpdf reads, prepared logo, cached overlay): same drawing as the
reportlab path, never a stale logo, an update whose size follows the pages, not the images."""

from __future__ import annotations

import io

from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from asset_engine import BrandKit, Contact, Zone, cobrand_pdf

from .engine_helpers import make_brand, make_pdf, matching_bbox, png, render

ZONES = [
    Zone("logo", (0.55, 0.04, 0.4, 0.06), align="right"),
    Zone("text", (0.05, 0.93, 0.6, 0.03), text="{{ partner }} · {{ contact.phone }}"),
    Zone("qr", (0.85, 0.85, 0.1, 0.1), pages="last"),
]
BLUE = (0, 0, 255)


def blue_bbox(image: Image.Image) -> tuple[int, int, int, int] | None:
    r, g, b = image.convert("RGB").split()
    mask = ImageChops.multiply(
        ImageChops.multiply(
            r.point(lambda v: 255 if v < 60 else 0), g.point(lambda v: 255 if v < 60 else 0)
        ),
        b.point(lambda v: 255 if v > 200 else 0),
    )
    return mask.getbbox()


def test_fast_path_draws_everything_where_the_reportlab_path_did() -> None:
    """Pixels of the fast path's update against the pypdf rewrite, which draws the logo with
    reportlab's drawImage: the same places, on plain, rotated and cropped pages."""
    pdf = make_pdf(
        [{}, {"rotate": 90}, {"crop": (40, 60, 520, 700)}, {"media": (100, -400, 700, 400)}]
    )
    brand = make_brand(logo=png(mode="RGBA", color=(255, 0, 0, 255)))
    fast = cobrand_pdf(pdf, brand, ZONES, sanitized=True)
    assert fast.startswith(pdf), "the original bytes stay untouched"
    assert b"/CobrandLogo" in fast[len(pdf) :], "the fast path made this update"
    reference = cobrand_pdf(pdf, brand, ZONES, incremental=False)
    for page in range(1, 5):
        a, b = render(fast, page, 1.0), render(reference, page, 1.0)
        assert a.size == b.size
        assert matching_bbox(a, "red") == matching_bbox(b, "red") is not None
        diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 64 else 0)
        box = diff.getbbox()
        # Anti-aliasing may differ by a pixel along an edge, never by a shape.
        assert box is None or (box[2] - box[0]) * (box[3] - box[1]) <= 4, (page, box)


def test_a_changed_logo_is_never_served_from_the_cache() -> None:
    pdf = make_pdf([{}, {}])
    contact = Contact(name="Jane Doe", phone="+1 555 0100")
    red = BrandKit(partner_name="Acme", logo=png(), contact=contact)
    first = cobrand_pdf(pdf, red, ZONES[:2], sanitized=True)
    assert matching_bbox(render(first, 2), "red") is not None
    # Same partner, same text, same logo size: only the logo's pixels changed.
    blue = BrandKit(partner_name="Acme", logo=png(color=BLUE), contact=contact)
    second = cobrand_pdf(pdf, blue, ZONES[:2], sanitized=True)
    for page in (1, 2):
        image = render(second, page)
        assert matching_bbox(image, "red") is None, "the old logo was served from a cache"
        assert blue_bbox(image) is not None
    again = cobrand_pdf(pdf, red, ZONES[:2], sanitized=True)
    assert matching_bbox(render(again, 1), "red") is not None
    assert blue_bbox(render(again, 1)) is None


def _photo_pdf(pages: int, side: int) -> bytes:
    noise = Image.effect_noise((side, side), 60).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=90)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(600, 800))
    for n in range(pages):
        canvas.drawImage(ImageReader(io.BytesIO(out.getvalue())), 50, 200, 500, 500)
        canvas.drawString(50, 100, f"page {n + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_the_update_follows_the_pages_not_the_megabytes() -> None:
    brand = make_brand()
    small, large = _photo_pdf(3, 32), _photo_pdf(3, 600)
    assert len(large) > 10 * len(small)
    updates = []
    for pdf in (small, large):
        out = cobrand_pdf(pdf, brand, ZONES[:2], sanitized=True)
        assert out.startswith(pdf)
        updates.append(len(out) - len(pdf))
    assert abs(updates[0] - updates[1]) < 200, updates
    # One branding form and one logo image for all pages, referenced from each page.
    reader = PdfReader(io.BytesIO(cobrand_pdf(large, brand, ZONES[:2], sanitized=True)))
    forms = {page["/Resources"]["/XObject"].raw_get("/Cobrand0").idnum for page in reader.pages}
    assert len(forms) == 1


def _inheriting_pdf() -> bytes:
    """Two pages whose /MediaBox, /Rotate and /Resources (the font of their text) sit on the
    /Pages node: the fast path must look them up there, as pypdf's flattening does."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([{"rotate": 90}, {}]))))
    node = writer.root_object["/Pages"].get_object()
    first = writer.pages[0]
    for key in ("/Resources", "/MediaBox", "/Rotate"):
        node[NameObject(key)] = first[key]
        for page in writer.pages:
            del page[key]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_inherited_page_attributes_are_honoured() -> None:
    pdf = _inheriting_pdf()
    raw = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Pages"]["/Kids"][0].get_object()
    assert "/MediaBox" not in raw and "/Resources" not in raw
    brand = make_brand()
    fast = cobrand_pdf(pdf, brand, ZONES, sanitized=True)
    assert fast.startswith(pdf) and b"/CobrandLogo" in fast[len(pdf) :]
    reference = cobrand_pdf(pdf, brand, ZONES, incremental=False)
    for page in (1, 2):
        a, b = render(fast, page, 1.0), render(reference, page, 1.0)
        assert a.size == b.size  # the inherited rotation is applied to both
        assert matching_bbox(a, "red") == matching_bbox(b, "red") is not None
        # The page's own text (its font inherited from /Pages) is still drawn.
        assert matching_bbox(a, "dark") == matching_bbox(b, "dark") is not None
        diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 64 else 0)
        box = diff.getbbox()
        assert box is None or (box[2] - box[0]) * (box[3] - box[1]) <= 4, (page, box)
