"""What the co-branded PDF contains: text, one logo, a QR code, and the original intact."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from asset_engine import BrandKit, Contact, Zone, cobrand_pdf
from tests.requirements import CORPUS, corpus_mark, tool_mark

from .engine_helpers import make_brand, make_pdf, matching_bbox, png, render


def _text(pdf: bytes, page: int = 0) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


@pytest.mark.parametrize(
    "contact",
    [
        Contact(name="Γιώργος Παπαδόπουλος", address="Λεωφόρος Κηφισίας 12, Αθήνα"),
        Contact(name="Иван Петрович Сидоров", address="ул. Тверская 7, Москва"),
        Contact(name="François Müller-Øster", address="Łódź, Świętokrzyska 3, Ñuñoa"),
    ],
    ids=["greek", "cyrillic", "latin-accents"],
)
def test_contact_details_in_any_script_stay_extractable(contact: Contact) -> None:
    kit = make_brand(contact=contact)
    zones = [
        Zone("text", (0.05, 0.8, 0.9, 0.05), text="{{ contact.name }}"),
        Zone("text", (0.05, 0.86, 0.9, 0.05), text="{{ contact.address }}"),
    ]
    text = _text(cobrand_pdf(make_pdf(), kit, zones))
    assert contact.name in text
    assert contact.address in text
    assert "Original page text 1" in text


def test_template_reaches_partner_contact_and_brand(brand: BrandKit) -> None:
    zone = Zone(
        "text",
        (0.05, 0.05, 0.9, 0.1),
        text="{{ partner | upper }} · {{ contact.phone }} · {{ brand.tracking_url }}"
        "{% if contact.fax is defined %} fax{% endif %}",
    )
    text = _text(cobrand_pdf(make_pdf(), brand, [zone]))
    assert "ACME PARTNERS · +1 555 0100 · https://cobrand.test/t/abc123" in text
    assert "fax" not in text


def test_long_text_shrinks_then_ellipsises_inside_its_box(brand: BrandKit) -> None:
    box = (0.2, 0.45, 0.3, 0.03)
    long_name = "Extraordinarily Long Partner Name Incorporated " * 8
    kit = make_brand(partner_name=long_name.strip(), primary_color="#000000")
    out = cobrand_pdf(make_pdf(text=""), kit, [Zone("text", box, text="{{ partner }}")])
    image = render(out, scale=2)
    ink = matching_bbox(image, "nonwhite")
    assert ink is not None
    x, y, w, h = box
    slack = 2 / image.width
    assert ink[0] >= x - slack and ink[2] <= x + w + slack
    assert ink[1] >= y - slack and ink[3] <= y + h + slack
    # Shrunk to the 5 pt floor before cutting: the line uses most of the box's width.
    assert ink[2] - ink[0] > w * 0.9
    text = _text(out)
    assert "\u2026" in text
    assert "Extraordinarily Long Partner Name" in text


def test_short_text_is_not_shrunk_below_its_font_size(brand: BrandKit) -> None:
    zone = Zone("text", (0.1, 0.1, 0.8, 0.2), text="{{ partner }}", font_size=12)
    out = cobrand_pdf(make_pdf(text=""), brand, [zone])
    reader = PdfReader(io.BytesIO(out))
    sizes: list[float] = []

    def visitor(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.append(size * tm[0])

    reader.pages[0].extract_text(visitor_text=visitor)  # type: ignore[arg-type]
    assert sizes and max(sizes) <= 12.01 and max(sizes) > 11


def _image_ids(reader: PdfReader) -> set[int]:
    """Image XObjects reachable from the pages, through forms, by object number."""
    found: set[int] = set()
    seen: set[int] = set()

    def walk(resources: object) -> None:
        if not hasattr(resources, "get"):
            return
        xobjects = resources.get("/XObject")  # type: ignore[attr-defined]
        for ref in (xobjects.get_object() if xobjects is not None else {}).values():
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.add(ref.idnum)
            elif obj.get("/Subtype") == "/Form" and "/Resources" in obj:
                walk(obj["/Resources"].get_object())

    for page in reader.pages:
        walk(page.get("/Resources", {}).get_object() if "/Resources" in page else {})
    return found


@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
def test_logo_is_stored_once_for_all_pages(incremental: bool) -> None:
    kit = make_brand(logo=png((255, 0, 0, 255), mode="RGBA"))
    specs: list[dict[str, object]] = [{"size": (595, 842)}] * 10 + [{"size": (842, 595)}] * 5
    zones = [Zone("logo", (0.0, 0.0, 0.3, 0.1)), Zone("logo", (0.6, 0.8, 0.3, 0.1))]
    out = cobrand_pdf(make_pdf(specs), kit, zones, incremental=incremental)
    reader = PdfReader(io.BytesIO(out))
    assert len(_image_ids(reader)) == 1  # its alpha is the one image's /SMask
    assert all(matching_bbox(render(out, n), "red") for n in (1, 12))


def test_qr_zone_draws_the_tracking_url_as_vector_paths(brand: BrandKit) -> None:
    zone = Zone("qr", (0.7, 0.7, 0.25, 0.2))
    out = cobrand_pdf(make_pdf(text=""), brand, [zone])
    image = render(out, scale=1)
    dark = matching_bbox(image, "dark")
    assert dark is not None
    x, y, w, h = zone.box
    assert dark[0] >= x - 0.01 and dark[2] <= x + w + 0.01
    assert dark[1] >= y - 0.01 and dark[3] <= y + h + 0.01
    reader = PdfReader(io.BytesIO(out))
    assert not [o for o in reader.pages[0].images]  # vector, not an image
    # The drawn matrix is segno's for the brand's tracking URL: sample each module centre.
    code = segno.make(brand.tracking_url or "", error="m", micro=False)
    matrix = list(code.matrix_iter(scale=1, border=2))
    n = len(matrix)
    side = min(w * 600, h * 800)
    left, top = x * 600, y * 800 + (h * 800 - side) / 2
    cell = side / n
    wrong = 0
    for r, row in enumerate(matrix):
        for c, dark_module in enumerate(row):
            pixel = image.getpixel((int(left + (c + 0.5) * cell), int(top + (r + 0.5) * cell)))
            if (sum(pixel) < 300) != bool(dark_module):
                wrong += 1
    assert wrong == 0


def test_qr_zone_without_tracking_url_is_refused() -> None:
    from asset_engine import AssetError

    with pytest.raises(AssetError, match="tracking_url"):
        cobrand_pdf(make_pdf(), make_brand(tracking_url=None), [Zone("qr", (0, 0, 0.2, 0.2))])


def _rich_pdf() -> bytes:
    """A document with an outline, a link, a form field, an attachment and metadata."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(600, 800))
    canvas.bookmarkPage("p1")
    canvas.addOutlineEntry("Chapter One", "p1")
    canvas.drawString(50, 700, "Visit us")
    canvas.linkURL("https://vendor.test/", (50, 690, 150, 715))
    canvas.acroForm.textfield(name="email", x=50, y=600, width=200, height=20)
    canvas.showPage()
    canvas.drawString(50, 700, "Second page")
    canvas.showPage()
    canvas.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.add_attachment("terms.txt", b"the terms")
    writer.add_metadata({"/Title": "Vendor brochure", "/Author": "Vendor Inc."})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
def test_document_structure_is_preserved(brand: BrandKit, incremental: bool) -> None:
    source = _rich_pdf()
    zones = [
        Zone("logo", (0.7, 0.0, 0.3, 0.1)),
        Zone("text", (0, 0.9, 1, 0.05), text="{{ partner }}"),
    ]
    out = cobrand_pdf(source, brand, zones, incremental=incremental)
    before, after = PdfReader(io.BytesIO(source)), PdfReader(io.BytesIO(out))
    assert [o.title for o in after.outline] == ["Chapter One"]  # type: ignore[union-attr]
    assert after.get_fields() is not None and "email" in after.get_fields()  # type: ignore[operator]
    links = [a.get_object() for a in after.pages[0]["/Annots"]]
    assert any(a.get("/A", {}).get("/URI") == "https://vendor.test/" for a in links)
    assert after.attachments == {"terms.txt": [b"the terms"]}
    assert after.metadata is not None and after.metadata.title == "Vendor brochure"
    assert after.metadata.author == "Vendor Inc."
    assert len(after.pages) == len(before.pages)
    assert "Visit us" in after.pages[0].extract_text()
    assert "Acme Partners" in after.pages[1].extract_text()
    if incremental:
        assert out.startswith(source)


CORPUS_PDF = CORPUS / "pdf"


@corpus_mark(CORPUS_PDF)
@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("pdflatex-outline.pdf", "outline"),
        ("libreoffice-form.pdf", "fields"),
        ("pdflatex-forms.pdf", "fields"),
        ("libre-office-link.pdf", "links"),
        ("with-attachment.pdf", "attachments"),
        ("output_with_metadata_pymupdf.pdf", "metadata"),
        ("mistitled_outlines_example.pdf", "outline"),
    ],
)
def test_corpus_structure_is_preserved(brand: BrandKit, name: str, check: str) -> None:
    source = (CORPUS_PDF / name).read_bytes()
    out = cobrand_pdf(source, brand, [Zone("logo", (0.8, 0.0, 0.2, 0.05))])
    before, after = PdfReader(io.BytesIO(source)), PdfReader(io.BytesIO(out))

    def titles(reader: PdfReader) -> list[str]:
        result: list[str] = []

        def walk(items: list[object]) -> None:
            for item in items:
                if isinstance(item, list):
                    walk(item)
                else:
                    result.append(item.title)  # type: ignore[attr-defined]

        walk(reader.outline)
        return result

    if check == "outline":
        assert titles(before) and titles(after) == titles(before)
    elif check == "fields":
        assert before.get_fields() and set(after.get_fields() or {}) == set(
            before.get_fields() or {}
        )
    elif check == "links":

        def uris(reader: PdfReader) -> list[str]:
            return [
                a.get_object()["/A"]["/URI"]
                for p in reader.pages
                for a in p.get("/Annots", [])
                if "/A" in a.get_object() and "/URI" in a.get_object()["/A"]
            ]

        assert uris(before) and uris(after) == uris(before)
    elif check == "attachments":
        assert before.attachments and after.attachments == before.attachments
    else:
        assert before.metadata and dict(after.metadata or {}) == dict(before.metadata)
    for page_before, page_after in zip(before.pages, after.pages, strict=True):
        assert page_before.extract_text().strip() == page_after.extract_text().strip()


def test_pages_without_a_zone_are_left_alone(brand: BrandKit) -> None:
    source = make_pdf([{}, {}])
    out = cobrand_pdf(source, brand, [Zone("logo", (0, 0, 0.2, 0.1), pages="first")])
    reader = PdfReader(io.BytesIO(out))
    assert "/Cobrand0" in reader.pages[0]["/Resources"]["/XObject"]
    second = reader.pages[1]
    assert NameObject("/XObject") not in second["/Resources"] or not any(
        str(k).startswith("/Cobrand") for k in second["/Resources"]["/XObject"]
    )


def test_logo_with_transparency_keeps_its_alpha(brand: BrandKit) -> None:
    kit = make_brand(logo=png((255, 0, 0, 0), size=(200, 100), mode="RGBA"))
    out = cobrand_pdf(make_pdf(text=""), kit, [Zone("logo", (0.1, 0.1, 0.5, 0.2))])
    assert matching_bbox(render(out), "red") is None


def _last_xref_entries(pdf: bytes) -> list[tuple[int, int, int]]:
    """(object number, offset, generation) of the final cross-reference section."""
    import re
    import struct
    import zlib

    offset = int(list(re.finditer(rb"startxref\s*(\d+)", pdf))[-1].group(1))
    section = pdf[offset:]
    entries: list[tuple[int, int, int]] = []
    if section.startswith(b"xref"):
        lines = section.split(b"trailer")[0].split(b"\n")[1:]
        i = 0
        while i < len(lines) and lines[i].strip():
            start, count = map(int, lines[i].split())
            i += 1
            for k in range(count):
                position, generation, _ = lines[i].split()
                entries.append((start + k, int(position), int(generation)))
                i += 1
        return entries
    header = re.match(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n", section, re.DOTALL)
    assert header is not None
    length_match = re.search(rb"/Length (\d+)", header.group(2))
    index_match = re.search(rb"/Index \[([^\]]*)\]", header.group(2))
    assert length_match is not None and index_match is not None
    data = zlib.decompress(section[header.end() : header.end() + int(length_match.group(1))])
    rows = [struct.unpack(">BIH", data[i : i + 7]) for i in range(0, len(data), 7)]
    index = list(map(int, index_match.group(1).split()))
    row = 0
    for start, count in zip(index[::2], index[1::2], strict=True):
        for k in range(count):
            entries.append((start + k, rows[row][1], rows[row][2]))
            row += 1
    return entries


def test_incremental_update_has_exact_offsets(brand: BrandKit) -> None:
    source = _rich_pdf()  # pypdf writes a classic cross-reference table
    zones = [Zone("logo", (0.7, 0.0, 0.3, 0.1)), Zone("qr", (0, 0, 0.2, 0.2))]
    out = cobrand_pdf(source, brand, zones)
    assert out.startswith(source)
    entries = _last_xref_entries(out)
    assert entries
    for number, offset, generation in entries:
        assert out[offset:].startswith(f"{number} {generation} obj".encode())
    reader = PdfReader(io.BytesIO(out), strict=True)
    assert len(reader.pages) == 2


def _xref_stream_pdf() -> bytes:
    """A PDF 1.5 file whose only cross-reference section is a stream (written by hand)."""
    import struct
    import zlib

    content = b"BT /F1 12 Tf 50 700 Td (Stream xref page) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 "
        b"/BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    rows = b"".join(
        [struct.pack(">BIH", 0, 0, 65535)] + [struct.pack(">BIH", 1, o, 0) for o in offsets]
    )
    rows += struct.pack(">BIH", 1, xref_at, 0)
    data = zlib.compress(rows)
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n" % len(data) + data + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def test_incremental_update_of_an_xref_stream_file(brand: BrandKit) -> None:
    source = _xref_stream_pdf()
    assert "Stream xref page" in PdfReader(io.BytesIO(source), strict=True).pages[0].extract_text()
    out = cobrand_pdf(source, brand, [Zone("logo", (0.7, 0.0, 0.3, 0.1))])
    assert out.startswith(source)
    last_section = int(out.rsplit(b"startxref", 1)[1].split()[0])
    assert not out[last_section:].startswith(b"xref")  # a stream answers a stream
    for number, offset, generation in _last_xref_entries(out):
        assert out[offset:].startswith(f"{number} {generation} obj".encode())
    reader = PdfReader(io.BytesIO(out), strict=True)
    assert "Stream xref page" in reader.pages[0].extract_text()
    assert matching_bbox(render(out), "red") is not None


@tool_mark("qpdf", "qpdf")
@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
@pytest.mark.parametrize("source", [_rich_pdf, _xref_stream_pdf], ids=["table", "stream"])
def test_qpdf_finds_no_structural_errors(
    brand: BrandKit, incremental: bool, source: Callable[[], bytes], tmp_path: Path
) -> None:
    zones = [Zone("logo", (0.7, 0.0, 0.3, 0.1)), Zone("text", (0, 0.9, 1, 0.05), text="x")]
    path = tmp_path / "out.pdf"
    path.write_bytes(cobrand_pdf(source(), brand, zones, incremental=incremental))
    result = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pdf_version_is_kept_and_raised_for_transparency() -> None:
    kit = make_brand(logo=png((255, 0, 0, 128), mode="RGBA"))
    source = make_pdf()
    assert source.startswith(b"%PDF-1.3")
    incremental = cobrand_pdf(source, kit, [Zone("logo", (0, 0, 0.3, 0.1))])
    assert PdfReader(io.BytesIO(incremental)).root_object["/Version"] == "/1.4"
    rewritten = cobrand_pdf(source, kit, [Zone("logo", (0, 0, 0.3, 0.1))], incremental=False)
    assert rewritten.startswith(b"%PDF-1.4")


def test_wrapping_text_breaks_between_words_inside_its_box() -> None:
    address = "Unit 4, Harbour Business Park, 221 Long Quay Road, Port Elizabeth 6001, South Africa"
    kit = make_brand(contact=Contact(address=address), primary_color="#000000")
    box = (0.1, 0.1, 0.3, 0.12)
    zone = Zone("text", box, text="{{ contact.address }}", wrap=True, font_size=14)
    out = cobrand_pdf(make_pdf(text=""), kit, [zone])
    text = _text(out)
    assert " ".join(text.split()) == address
    assert text.strip().count("\n") >= 1  # more than one line
    image = render(out, scale=2)
    ink = matching_bbox(image, "nonwhite")
    assert ink is not None
    slack = 2 / image.width
    x, y, w, h = box
    assert x - slack <= ink[0] and ink[2] <= x + w + slack
    assert y - slack <= ink[1] and ink[3] <= y + h + slack


def test_fit_text_wraps_then_shrinks_then_ellipsises() -> None:
    from asset_engine._text import ELLIPSIS, fit_text

    def measure(text: str, size: float) -> float:
        return len(text) * size * 0.5  # a monospaced font, half an em wide

    words = "alpha beta gamma delta epsilon zeta eta theta"
    roomy = fit_text(words, 100, 100, 10, 4, measure, wrap=True)
    assert roomy.size == pytest.approx(9.8) and len(roomy.lines) > 1
    assert " ".join(roomy.lines) == words
    tight = fit_text(words, 100, 20, 10, 4, measure, wrap=True)
    assert 4 <= tight.size < 9.8 and " ".join(tight.lines) == words
    assert all(measure(line, tight.size) <= 100 for line in tight.lines)
    assert len(tight.lines) * tight.line_height <= 20
    cut = fit_text(words * 20, 100, 10, 10, 4, measure, wrap=True)
    assert cut.lines[-1].endswith(ELLIPSIS)
    assert len(cut.lines) * cut.line_height <= 10
    assert all(measure(line, cut.size) <= 100 for line in cut.lines)
