"""Bad input: one exception family, a message a person understands, fast, nothing written."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Callable

import pytest
from PIL import Image

from asset_engine import (
    AssetError,
    BrandKit,
    EncryptedPdfError,
    InvalidImageError,
    InvalidPdfError,
    InvalidZoneError,
    TemplateError,
    Zone,
    cobrand_pdf,
    inspect_pdf,
    render_preview,
    render_social,
    validate_logo,
)
from tests.requirements import CORPUS, corpus_mark

from .engine_helpers import make_brand, make_pdf, png

LOGO_ZONE = [Zone("logo", (0.0, 0.0, 0.5, 0.1))]


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: the decompression-bomb shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _timed(call: Callable[[], object]) -> AssetError:
    start = time.perf_counter()
    with pytest.raises(AssetError) as info:
        call()
    assert time.perf_counter() - start < 2.0, "refusing bad input must be fast"
    return info.value


PDF_CASES = {
    "not-a-pdf": (b"GIF89a not a pdf at all", InvalidPdfError, "not a PDF"),
    "empty": (b"", InvalidPdfError, "empty"),
    "truncated": (make_pdf([{}] * 3)[:900], InvalidPdfError, "truncated"),
    "garbage-body": (
        b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n",
        InvalidPdfError,
        "damaged",
    ),
    "encrypted": (_encrypted_pdf(), EncryptedPdfError, "encrypted"),
}


@pytest.mark.parametrize("case", PDF_CASES.values(), ids=PDF_CASES.keys())
def test_bad_pdf_is_refused_with_a_clear_message(
    brand: BrandKit, case: tuple[bytes, type[AssetError], str]
) -> None:
    data, kind, words = case
    for call in (
        lambda: cobrand_pdf(data, brand, LOGO_ZONE),
        lambda: inspect_pdf(data),
    ):
        error = _timed(call)
        assert isinstance(error, kind)
        assert words in str(error)


@corpus_mark(CORPUS / "pdf" / "libreoffice-writer-password.pdf")
def test_corpus_password_protected_pdf_says_it_is_encrypted(brand: BrandKit) -> None:
    data = (CORPUS / "pdf" / "libreoffice-writer-password.pdf").read_bytes()
    error = _timed(lambda: cobrand_pdf(data, brand, LOGO_ZONE))
    assert isinstance(error, EncryptedPdfError)
    assert "encrypted" in str(error) and "password" in str(error)
    preview_error = _timed(lambda: render_preview(data))
    assert "encrypted" in str(preview_error)


def _eps() -> bytes:
    return b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


def _svg(body: str) -> bytes:
    return f'<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>'.encode()


def _tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="TIFF")
    return out.getvalue()


LOGO_CASES = {
    "text-file": (b"hello, this is not an image", "not an image"),
    "empty": (b"", "empty"),
    "truncated-png": (png(size=(400, 400))[:60], "damaged or truncated"),
    "eps": (_eps(), "EPS"),
    "svg-script": (_svg("<script>alert(1)</script>"), "SVG"),
    "svg-external": (_svg('<image href="file:///etc/passwd"/>'), "SVG"),
    "svg-xml-prolog": (b'<?xml version="1.0"?>' + _svg(""), "SVG"),
    "tiff": (_tiff(), "accepted format"),
    "pdf-as-logo": (make_pdf(), "PDF"),
    "bomb-30-megapixels": (_png_header_only(6000, 5000), "megapixels"),
    "bomb-gigapixel": (_png_header_only(100_000, 100_000), "megapixels"),
    "over-20-mb": (b"\x89PNG\r\n\x1a\n" + b"\x00" * (21 * 1024 * 1024), "20 MB"),
}


@pytest.mark.parametrize("case", LOGO_CASES.values(), ids=LOGO_CASES.keys())
def test_bad_logo_is_refused_with_a_clear_message(case: tuple[bytes, str]) -> None:
    data, words = case
    error = _timed(lambda: validate_logo(data))
    assert isinstance(error, InvalidImageError)
    assert words in str(error)
    pdf = make_pdf()
    error = _timed(lambda: cobrand_pdf(pdf, make_brand(logo=data), LOGO_ZONE))
    assert words in str(error)


def test_eps_never_reaches_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("Image.open was called on an EPS file")

    monkeypatch.setattr(Image, "open", forbidden)
    with pytest.raises(InvalidImageError):
        validate_logo(_eps())


def test_validate_logo_reencodes_as_png_without_metadata() -> None:
    image = Image.new("RGB", (64, 32), (10, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 when shown
    source = io.BytesIO()
    image.save(source, format="JPEG", exif=exif.tobytes(), comment=b"private note")
    clean = validate_logo(source.getvalue())
    result = Image.open(io.BytesIO(clean))
    assert result.format == "PNG"
    assert result.size == (32, 64)  # orientation applied before the tag was dropped
    assert not result.info.get("exif") and "comment" not in result.info
    assert b"SecretCam" not in clean and b"private note" not in clean


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Zone("logo", (0.8, 0.0, 0.3, 0.1)), "outside the page"),
        (lambda: Zone("logo", (-0.1, 0.0, 0.3, 0.1)), "outside the page"),
        (lambda: Zone("logo", (0.1, 0.95, 0.3, 0.1)), "outside the page"),
        (lambda: Zone("logo", (0.1, 0.1, 0.0, 0.1)), "positive"),
        (lambda: Zone("logo", (0.1, 0.1, float("nan"), 0.1)), "four numbers"),
        (lambda: Zone("logo", (0.1, 0.1, 0.2)), "four numbers"),  # type: ignore[arg-type]
        (lambda: Zone("banner", (0, 0, 1, 1)), "kind"),  # type: ignore[arg-type]
        (lambda: Zone("text", (0, 0, 1, 1), color="red"), "colour"),
        (lambda: Zone("text", (0, 0, 1, 1), color="#12345"), "colour"),
        (lambda: Zone("logo", (0, 0, 1, 1), pages=[0]), "Page numbers"),
        (lambda: Zone("logo", (0, 0, 1, 1), pages="odd"), "page selection"),  # type: ignore[arg-type]
        (lambda: Zone("text", (0, 0, 1, 1), align="justify"), "alignment"),  # type: ignore[arg-type]
        (lambda: Zone("text", (0, 0, 1, 1), font_size=-3), "font size"),
        (lambda: make_brand(primary_color="blue"), "colour"),
    ],
)
def test_bad_zone_or_colour_is_refused(make: Callable[[], object], words: str) -> None:
    with pytest.raises(InvalidZoneError, match=words):
        make()


TEMPLATE_CASES = {
    "mro-escape": "{{ ''.__class__.__mro__ }}",
    "globals": "{{ cycler.__init__.__globals__ }}",
    "method-call": "{{ contact.phone.ljust(100000000) }}",
    "string-bomb": "{{ 'x' * 1000000000 }}",
    "loop-bomb": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}"
    "{% endfor %}",
    "unknown-field": "{{ contact.fax }}",
    "unknown-name": "{{ config }}",
    "syntax": "{{ contact.phone ",
    "disallowed-filter": "{{ partner | replace('', 'xxxxxxxx') }}",
    "too-long": "x" * 5000,
}


@pytest.mark.parametrize("source", TEMPLATE_CASES.values(), ids=TEMPLATE_CASES.keys())
def test_text_template_that_fails_is_refused_naming_it(brand: BrandKit, source: str) -> None:
    zone = Zone("text", (0, 0, 1, 0.1), text=source)
    error = _timed(lambda: cobrand_pdf(make_pdf(), brand, [zone]))
    assert isinstance(error, TemplateError)
    assert "template" in str(error)
    if len(source) < 100:
        assert repr(source) in str(error)


def test_social_refuses_the_same_bad_input(brand: BrandKit) -> None:
    with pytest.raises(InvalidImageError, match="SVG"):
        render_social(_svg(""), brand, LOGO_ZONE)
    with pytest.raises(InvalidImageError, match="megapixels"):
        render_social(_png_header_only(8000, 8000), brand, LOGO_ZONE)
    template = png((255, 255, 255), size=(120, 60))
    with pytest.raises(InvalidImageError, match="format"):
        render_social(template, brand, LOGO_ZONE, format="BMP")
    with pytest.raises(TemplateError):
        render_social(template, brand, [Zone("text", (0, 0, 1, 1), text="{{ x.__class__ }}")])


def test_preview_of_a_missing_page_is_refused() -> None:
    with pytest.raises(AssetError, match="no page 3"):
        render_preview(make_pdf([{}, {}]), page=3)


def _hand_pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
HOSTILE_PDFS = {
    "cyclic-page-tree": (
        [CATALOG, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", b"<< /Type /Page >>"],
        "damaged",
    ),
    "deeply-nested": (
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /MediaBox " + b"[" * 50_000 + b"]" * 50_000 + b" >>",
        ],
        "damaged",
    ),
    "empty-mediabox": (
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 0 0] >>",
        ],
        "empty MediaBox",
    ),
    "no-catalog": ([b"<< /Foo 1 >>"], "damaged"),
}


@pytest.mark.parametrize("case", HOSTILE_PDFS.values(), ids=HOSTILE_PDFS.keys())
@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
def test_hostile_pdf_structures_are_refused_quickly(
    brand: BrandKit, case: tuple[list[bytes], str], incremental: bool
) -> None:
    objects, words = case
    data = _hand_pdf(objects)
    error = _timed(lambda: cobrand_pdf(data, brand, LOGO_ZONE, incremental=incremental))
    assert isinstance(error, InvalidPdfError)
    assert words in str(error)
