"""What the co-branded PDF contains: text, one logo, a QR code, and the original intact."""

from __future__ import annotations

import io

import pytest
import segno
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from asset_engine import BrandKit, Contact, Zone, cobrand_pdf

from .engine_helpers import CORPUS, make_brand, make_pdf, matching_bbox, png, render


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


def test_logo_is_stored_once_for_all_pages(brand: BrandKit) -> None:
    specs: list[dict[str, object]] = [{"size": (595, 842)}] * 10 + [{"size": (842, 595)}] * 5
    zones = [Zone("logo", (0.0, 0.0, 0.3, 0.1)), Zone("logo", (0.6, 0.8, 0.3, 0.1))]
    out = cobrand_pdf(make_pdf(specs), brand, zones)
    reader = PdfReader(io.BytesIO(out))
    images = set()
    for number in range(1, len(reader.xref_objStm) + 200):
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: BLE001 - past the last object
            break
        if obj is not None and hasattr(obj, "get") and obj.get("/Subtype") == "/Image":
            if obj.get("/SMask") is None and "/Decode" not in obj:
                images.add(number)
    assert len(images) == 1
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
    zones = [Zone("logo", (0.7, 0.0, 0.3, 0.1)), Zone("text", (0, 0.9, 1, 0.05), text="{{ partner }}")]
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


@pytest.mark.skipif(not CORPUS_PDF.is_dir(), reason=f"conformance corpus absent: {CORPUS_PDF}")
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
        assert before.get_fields() and set(after.get_fields() or {}) == set(before.get_fields() or {})
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
