"""Co-branding PDFs: branding drawn once as Form XObjects and placed on each page by matrix."""

from __future__ import annotations

import io
import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    PdfObject,
)
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from ._active import (
    SanitizedPdf,
    find_active_content,
    reachable_active_content,
    strip_active_content,
)
from ._cache import ByteBoundedCache, digest
from ._colors import parse_color
from ._errors import AssetError, EncryptedPdfError, InvalidPdfError
from ._fonts import pdf_font
from ._images import load_logo
from ._layout import QrCode, Rect, layout_text, place_logo, qr_code, qr_square, zone_rect
from ._model import BrandKit, PageSize, Zone
from ._sinks import IncrementalSink, RewriteSink, Sink, last_xref_offset
from ._text import MIN_READABLE_PT, render_zone_text

MAX_PDF_BYTES = 500 * 1024 * 1024
MAX_PAGES = 5000
# Below this a contact line is unreadable in print; past it the text is ellipsised instead.
MIN_FONT_SIZE = MIN_READABLE_PT
# Larger logos only cost bytes and time: 1600 px spans an A4 page width at ~190 dpi.
MAX_LOGO_PIXELS = 1600
# The PDF specification's page size range (ISO 32000 Annex C), in user units. UserUnit is not
# applied: neither this engine nor PDFium reads it, so the box is what both draw.
MIN_PAGE_POINTS = 3.0
MAX_PAGE_POINTS = 14_400.0
# Every bitmap drawn from a page stays within these, whatever the page's shape: a 10 x 14,400
# pt page asked for 800 px wide would otherwise be 800 x 1,152,000 px (3.7 GB).
MAX_RENDER_PIXELS = 16_000_000
MAX_RENDER_SIDE = 10_000

# Problems pypdf reports while parsing hostile or damaged files; all mean "cannot read".
_READ_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    RecursionError,
    OSError,
    AssertionError,
)

logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class _Geometry:
    """A page as seen, and the matrix from the seen page (origin bottom-left) to user space."""

    width: float
    height: float
    rotation: int
    matrix: tuple[float, float, float, float, float, float]


def _check_bytes(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidPdfError("The PDF must be given as bytes.")
    data = bytes(data)
    if not data:
        raise InvalidPdfError("The file is empty: upload a PDF.")
    if len(data) > MAX_PDF_BYTES:
        raise InvalidPdfError(
            f"The PDF is {len(data) / 1e6:.0f} MB; the limit is {MAX_PDF_BYTES // 2**20} MB."
        )
    if b"%PDF-" not in data[:1024]:
        raise InvalidPdfError("The file is not a PDF (it does not start with a PDF header).")
    if b"%%EOF" not in data[-4096:]:
        raise InvalidPdfError(
            "The PDF is incomplete (truncated): its end is missing. Upload the whole file again."
        )
    return data


def _read(data: bytes) -> PdfReader:
    data = _check_bytes(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"The PDF is damaged and cannot be read ({exc}).") from exc
    if encrypted:
        raise EncryptedPdfError(
            "The PDF is encrypted (password-protected), so it cannot be co-branded: "
            "save it again without a password or restrictions and upload that copy."
        )
    try:
        count = len(reader.pages)
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"The PDF's page tree is damaged ({exc}).") from exc
    if count == 0:
        raise InvalidPdfError("The PDF has no pages.")
    if count > MAX_PAGES:
        raise InvalidPdfError(f"The PDF has {count} pages; the limit is {MAX_PAGES}.")
    return reader


def _box(page: DictionaryObject, key: str) -> tuple[float, float, float, float] | None:
    raw = page.get(key)
    if raw is None:
        return None
    values = raw.get_object()
    if not isinstance(values, ArrayObject) or len(values) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(v.get_object()) for v in values)
    except (TypeError, ValueError):
        return None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _geometry(page: DictionaryObject) -> _Geometry:
    rotation = page.get("/Rotate")
    return page_geometry(
        _box(page, "/MediaBox"),
        _box(page, "/CropBox"),
        rotation.get_object() if rotation is not None else None,
    )


def page_geometry(
    media: tuple[float, float, float, float] | None,
    crop: tuple[float, float, float, float] | None,
    raw_rotation: object,
) -> _Geometry:
    """The page as seen from its (normalised) boxes and its raw /Rotate value, whichever
    library read them."""
    media = media or (0.0, 0.0, 612.0, 792.0)
    crop = crop or media
    # Viewers show the intersection of the two boxes; a CropBox outside the MediaBox is ignored.
    llx, lly = max(media[0], crop[0]), max(media[1], crop[1])
    urx, ury = min(media[2], crop[2]), min(media[3], crop[3])
    if urx - llx <= 0 or ury - lly <= 0:
        llx, lly, urx, ury = media
    if urx - llx <= 0 or ury - lly <= 0:
        raise InvalidPdfError("A page of the PDF has an empty MediaBox.")
    try:
        rotation = int(float(raw_rotation)) if raw_rotation is not None else 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        rotation = 0
    rotation = (round(rotation / 90) * 90) % 360
    w, h = urx - llx, ury - lly
    if rotation == 90:
        return _Geometry(h, w, rotation, (0, 1, -1, 0, urx, lly))
    if rotation == 180:
        return _Geometry(w, h, rotation, (-1, 0, 0, -1, urx, ury))
    if rotation == 270:
        return _Geometry(h, w, rotation, (0, -1, 1, 0, llx, ury))
    return _Geometry(w, h, 0, (1, 0, 0, 1, llx, lly))


def inspect_pdf(data: bytes) -> list[PageSize]:
    """Each page's size in points as a reader sees it (after /Rotate, within the CropBox).

    A page outside the PDF specification's size range (3 to 14,400 units a side) is refused:
    it cannot be printed, previewed or branded sensibly.
    """
    reader = _read(data)
    try:
        geometries = [_geometry(p) for p in reader.pages]
    except AssetError:
        raise
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"The PDF's pages cannot be read ({exc}).") from exc
    for number, g in enumerate(geometries, start=1):
        if not (
            MIN_PAGE_POINTS <= g.width <= MAX_PAGE_POINTS
            and MIN_PAGE_POINTS <= g.height <= MAX_PAGE_POINTS
        ):
            raise InvalidPdfError(
                f"Page {number} of the PDF is {g.width:.6g} x {g.height:.6g} pt; a page must "
                f"be between {MIN_PAGE_POINTS:g} and {MAX_PAGE_POINTS:,.0f} pt on each side."
            )
    return [PageSize(round(g.width, 3), round(g.height, 3), g.rotation) for g in geometries]


def _draw_zone(
    canvas: Canvas,
    zone: Zone,
    brand: BrandKit,
    text: str,
    width: float,
    height: float,
    logo_xobject: Callable[[bytes], tuple[str, int, int]] | None = None,
) -> None:
    box = zone_rect(zone, width, height)

    def flip(r: Rect) -> tuple[float, float, float, float]:
        return r.x, height - r.y - r.h, r.w, r.h

    canvas.saveState()
    # The clip makes "never leaves its box" hold even where font metrics and glyphs disagree.
    clip = canvas.beginPath()
    clip.rect(*flip(box))
    canvas.clipPath(clip, stroke=0, fill=0)
    if zone.kind == "logo":
        logo_bytes = brand.logo_on_dark if zone.on_dark and brand.logo_on_dark else brand.logo
        if logo_xobject is not None:
            # The fast path adds the prepared image XObject itself: reportlab would encode
            # the pixels again (in pure-Python ASCII85) on every render.
            name, logo_w, logo_h = logo_xobject(logo_bytes)
            x, y, w, h = flip(place_logo(box, logo_w, logo_h, zone))
            canvas.addLiteral(f"q {w:.4f} 0 0 {h:.4f} {x:.4f} {y:.4f} cm {name} Do Q")
        else:
            reader, logo_w, logo_h, alpha = _logo_reader(logo_bytes)
            place = place_logo(box, logo_w, logo_h, zone)
            canvas.drawImage(reader, *flip(place), mask="auto" if alpha else None)
    elif zone.kind == "text":
        r, g, b = parse_color(zone.color or brand.primary_color)
        canvas.setFillColorRGB(r / 255, g / 255, b / 255)
        font = pdf_font(zone.bold)
        for line in layout_text(text, box, zone, MIN_FONT_SIZE):
            canvas.setFont(font, line.size)
            canvas.drawString(line.x, height - line.baseline, line.text)
    else:
        code = qr_code(brand.tracking_url)
        square = qr_square(box, zone)
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(*flip(square), stroke=0, fill=1)
        r, g, b = parse_color(zone.color or "#000000")
        canvas.setFillColorRGB(r / 255, g / 255, b / 255)
        x, y, side, _ = flip(square)
        cell = side / code.size
        # Module units with a flipped y (row 0 on top) keep the operators short integers.
        canvas.transform(cell, 0, 0, -cell, x, y + side)
        canvas.addLiteral(_qr_path(code))
    canvas.restoreState()


_QR_PATHS: ByteBoundedCache[str] = ByteBoundedCache("qr paths", 8 * 2**20, len)


def _qr_path(code: QrCode) -> str:
    return _QR_PATHS.get(code, lambda: _make_qr_path(code))


def _make_qr_path(code: QrCode) -> str:
    # Runs overlap their neighbours below by a hair to hide anti-aliasing seams between rows.
    ops = [f"{c} {r} {n} 1.02 re" for r, c, n in code.runs]
    return "\n".join(ops) + "\nf"


def _reader_bytes(entry: tuple[ImageReader, int, int, bool]) -> int:
    # The image, and the RGB(A) data reportlab derives from it on first use.
    return 2 * entry[1] * entry[2] * (4 if entry[3] else 3) + 1024


_LOGO_READERS: ByteBoundedCache[tuple[ImageReader, int, int, bool]] = ByteBoundedCache(
    "pdf logos", 32 * 2**20, _reader_bytes
)


def _make_logo_reader(data: bytes) -> tuple[ImageReader, int, int, bool]:
    logo = load_logo(data)
    if max(logo.size) > MAX_LOGO_PIXELS:
        logo = logo.copy()
        logo.thumbnail((MAX_LOGO_PIXELS, MAX_LOGO_PIXELS))
    return ImageReader(logo), logo.width, logo.height, logo.mode == "RGBA"


def _logo_reader(data: bytes) -> tuple[ImageReader, int, int, bool]:
    # Cached with its RGB data: reportlab names images by a digest of it, so the logo is
    # embedded once per overlay and never converted twice for the same brand kit.
    return _LOGO_READERS.get(digest(data), lambda: _make_logo_reader(data))


def _build_overlay(
    keys: Sequence[tuple[float, float, tuple[int, ...]]],
    brand: BrandKit,
    zones: Sequence[Zone],
    texts: dict[int, str],
    logo_xobject: Callable[[bytes], tuple[str, int, int]] | None = None,
) -> bytes:
    out = io.BytesIO()
    # Compressed here because pypdf copies the font and image streams into the output as-is.
    canvas = Canvas(out, invariant=True, pageCompression=1)
    for width, height, indices in keys:
        canvas.setPageSize((width, height))
        for i in indices:
            _draw_zone(canvas, zones[i], brand, texts.get(i, ""), width, height, logo_xobject)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _unique_name(existing: DictionaryObject, base: str, target: IndirectObject) -> NameObject:
    name, n = base, 1
    while name in existing and existing[name] != target:
        n += 1
        name = f"{base}_{n}"
    return NameObject(name)


def cobrand_pdf(
    template: bytes,
    brand: BrandKit,
    zones: Sequence[Zone],
    *,
    incremental: bool = True,
    sanitized: bool = False,
) -> bytes:
    """Stamp the partner's branding into every page the zones name; keep the rest intact.

    By default the branding is appended as an incremental update after the original bytes,
    which stay untouched: the cost does not grow with the document's images and fonts, and
    a signed revision stays verifiable. A file whose cross-reference data is damaged, or
    ``incremental=False``, gets a full rewrite by pypdf instead, and so does a file with
    active content (JavaScript, actions that run, XFA): the output never has any.
    ``sanitized=True`` says the template is the output of ``sanitize_pdf`` and skips looking
    again (that look reads every annotation and outline entry: a tenth of a second for a long,
    link-heavy document).
    """
    if not isinstance(brand, BrandKit):
        raise AssetError("brand must be a BrandKit.")
    zones = list(zones)
    if not all(isinstance(z, Zone) for z in zones):
        raise AssetError("zones must be Zone objects.")
    data = _check_bytes(template)
    texts = {i: render_zone_text(z.text, brand) for i, z in enumerate(zones) if z.kind == "text"}
    for z in zones:
        if z.kind == "logo":
            load_logo(brand.logo_on_dark if z.on_dark and brand.logo_on_dark else brand.logo)
    prev = last_xref_offset(data) if incremental else None
    if prev is not None:
        # qpdf reads the page tree (and looks for active content), without pypdf at all.
        fast = cobrand_fast(data, prev, brand, zones, texts, check_active=not sanitized)
        if fast is not None:
            return fast
    reader = _read(data)
    try:
        return _cobrand(data, reader, brand, zones, texts, prev, sanitized)
    except AssetError:
        raise
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"The PDF is damaged and cannot be co-branded ({exc}).") from exc


def _cobrand(
    data: bytes,
    reader: PdfReader,
    brand: BrandKit,
    zones: list[Zone],
    texts: dict[int, str],
    prev: int | None,
    sanitized: bool,
) -> bytes:
    if not sanitized and reachable_active_content(reader):
        # An update appended to the original bytes would leave the scripts in the file: strip
        # them from the reader's objects and rewrite, which copies only what is still reachable.
        strip_active_content(reader)
        prev = None
    version = _header_version(reader)
    sink: Sink
    if prev is not None and not all(
        isinstance(p.indirect_reference, IndirectObject) for p in reader.pages
    ):
        prev = None  # a page that is not an indirect object cannot be replaced by an update
    if prev is not None:
        sink = IncrementalSink(data, reader, prev)
        pages = list(reader.pages)
        if version < (1, 4):
            # The logo's soft mask is a PDF 1.4 feature; a catalog /Version raises the
            # version without touching the original header.
            root_ref = reader.trailer.raw_get("/Root")
            root = reader.root_object
            root[NameObject("/Version")] = NameObject("/1.4")
            sink.touch(root_ref, root)
    else:
        # A file whose cross-reference data pypdf had to rebuild gets a clean rewrite
        # instead: an update pointing back at broken data would only spread the damage.
        writer = PdfWriter(clone_from=reader)
        # pypdf would otherwise write a %PDF-1.3 header whatever the source's version.
        writer.pdf_header = "%PDF-{}.{}".format(*max(version, (1, 4)))
        sink = RewriteSink(writer)
        pages = list(writer.pages)
    count = len(pages)
    plan: list[tuple[int, _Geometry, int]] = []
    keys: dict[tuple[float, float, tuple[int, ...]], int] = {}
    stamped: set[int] = set()
    for number, page in enumerate(pages, start=1):
        indices = tuple(i for i, z in enumerate(zones) if z.applies_to(number, count))
        ref = page.indirect_reference
        if not indices or (ref is not None and ref.idnum in stamped):
            continue  # a page object listed twice in the page tree is branded once
        if ref is not None:
            stamped.add(ref.idnum)
        geometry = _geometry(page)
        key = (round(geometry.width, 3), round(geometry.height, 3), indices)
        plan.append((number - 1, geometry, keys.setdefault(key, len(keys))))
    if plan:
        overlay = PdfReader(io.BytesIO(_build_overlay(list(keys), brand, zones, texts)))
        forms = []
        for (width, height, _), opage in zip(keys, overlay.pages, strict=True):
            form = DecodedStreamObject()
            content = opage.get_contents()
            resources = opage["/Resources"].get_object()
            if content is None or not isinstance(resources, DictionaryObject):
                raise AssetError("Internal error: the branding overlay has no content.")
            form.set_data(content.get_data())
            form[NameObject("/Type")] = NameObject("/XObject")
            form[NameObject("/Subtype")] = NameObject("/Form")
            form[NameObject("/BBox")] = ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(width), FloatObject(height)]
            )
            form[NameObject("/Resources")] = sink.import_object(resources)
            forms.append(sink.add(form.flate_encode()))
        # Wrapping the page's own content in q ... Q keeps its leftover graphics state (a cm,
        # a clip, a colour) from moving or hiding the branding.
        opener = DecodedStreamObject()
        opener.set_data(b"q\n")
        opener_ref = sink.add(opener)
        for index, geometry, form_index in plan:
            _stamp(sink, pages[index], geometry, forms[form_index], form_index, opener_ref)
    return sink.output()


def _header_version(reader: PdfReader) -> tuple[int, int]:
    match = re.match(r"%PDF-(\d)\.(\d)", reader.pdf_header)
    return (int(match.group(1)), int(match.group(2))) if match else (1, 4)


def _stamp(
    sink: Sink,
    page: PageObject,
    geometry: _Geometry,
    form: IndirectObject,
    form_index: int,
    opener: IndirectObject,
) -> None:
    sink.touch(page.indirect_reference, page)
    resources_raw = page.raw_get("/Resources") if "/Resources" in page else None
    resources = resources_raw.get_object() if resources_raw is not None else None
    if not isinstance(resources, DictionaryObject):
        resources = DictionaryObject()
        page[NameObject("/Resources")] = resources
    else:
        sink.touch(resources_raw)
    xobjects_raw = resources.raw_get("/XObject") if "/XObject" in resources else None
    xobjects = xobjects_raw.get_object() if xobjects_raw is not None else None
    if not isinstance(xobjects, DictionaryObject):
        xobjects = DictionaryObject()
        resources[NameObject("/XObject")] = xobjects
    else:
        sink.touch(xobjects_raw)
    name = _unique_name(xobjects, f"/Cobrand{form_index}", form)
    xobjects[name] = form

    contents: list[PdfObject] = []
    raw = page.raw_get("/Contents") if "/Contents" in page else None
    if raw is not None:
        resolved = raw.get_object()
        items = list(resolved) if isinstance(resolved, ArrayObject) else [raw]
        for item in items:
            contents.append(item if isinstance(item, IndirectObject) else sink.add(item))
    matrix = " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in geometry.matrix)
    stamp = DecodedStreamObject()
    stamp.set_data(f"\nQ q {matrix} cm {name} Do Q\n".encode("ascii"))
    page[NameObject("/Contents")] = ArrayObject([opener, *contents, sink.add(stamp)])


def sanitize_pdf(data: bytes) -> SanitizedPdf:
    """The PDF without active content anywhere in the file, and what was removed (for the
    uploader). A file without any comes back byte for byte, so its renders stay incremental."""
    data = _check_bytes(data)
    reader = _read(data)
    try:
        removed = find_active_content(reader, data)
        if not removed:
            return SanitizedPdf(data, ())
        strip_active_content(reader)
        writer = PdfWriter(clone_from=reader)
        writer.pdf_header = "%PDF-{}.{}".format(*max(_header_version(reader), (1, 4)))
        out = io.BytesIO()
        writer.write(out)
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"The PDF is damaged and cannot be read ({exc}).") from exc
    return SanitizedPdf(out.getvalue(), removed)


def render_scale(width: float, height: float, target_width: int) -> float:
    """The scale that draws a ``width`` x ``height`` pt page ``target_width`` px wide, or
    smaller to stay within MAX_RENDER_PIXELS and MAX_RENDER_SIDE; every side is at least a
    pixel. A page that cannot be drawn within those bounds is refused."""
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise InvalidPdfError("The page has no drawable size.")
    # PDFium rounds each side up to whole pixels: the margins keep the rounded bitmap inside.
    scale = min(
        target_width / width,
        (MAX_RENDER_SIDE - 1) / max(width, height),
        0.99 * math.sqrt(MAX_RENDER_PIXELS / (width * height)),
    )
    scale = max(scale, 1 / min(width, height))
    if max(width, height) * scale > MAX_RENDER_SIDE:
        raise InvalidPdfError(
            f"The page is {width:.6g} x {height:.6g} pt, too narrow for its length to be drawn "
            "as an image."
        )
    return scale


# PDFium is not thread-safe, not even across different documents (pypdfium2's documentation):
# two threads of one web process drawing previews at once crashed the process. Every PDFium
# call goes through this lock; processes (workers) still draw in parallel.
_PDFIUM = threading.Lock()


def render_preview(pdf: bytes, page: int = 1, width: int = 600) -> bytes:
    """A PNG of one page as a reader sees it, ``width`` pixels wide (for the zone editor).

    A page whose shape would make that bitmap larger than MAX_RENDER_PIXELS, or longer than
    MAX_RENDER_SIDE, is drawn smaller (narrower than ``width``), keeping its aspect ratio.
    """
    data = _check_bytes(pdf)
    if not isinstance(width, int) or isinstance(width, bool) or not 16 <= width <= 4000:
        raise AssetError("The preview width must be between 16 and 4000 pixels.")
    with _PDFIUM:
        return _draw(data, page, width)


def _draw(data: bytes, page: int, width: int) -> bytes:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedPdfError(
                "The PDF is encrypted (password-protected), so no preview can be made."
            ) from exc
        raise InvalidPdfError(f"The PDF cannot be read ({exc}).") from exc
    try:
        if not isinstance(page, int) or not 1 <= page <= len(document):
            raise AssetError(f"The PDF has {len(document)} pages; there is no page {page}.")
        pdf_page = document[page - 1]
        scale = render_scale(pdf_page.get_width(), pdf_page.get_height(), width)
        image = pdf_page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG")  # before close: the image may share the bitmap's memory
        return out.getvalue()
    except pdfium.PdfiumError as exc:
        raise InvalidPdfError(f"The PDF page cannot be drawn ({exc}).") from exc
    finally:
        document.close()


# At the end: the fast path builds on this module's overlay and geometry.
from ._fastpdf import cobrand_fast  # noqa: E402
