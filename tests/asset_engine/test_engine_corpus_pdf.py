"""Conformance: every PDF of the shared corpus is co-branded on every page, or refused clearly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import ImageChops
from pypdf import PdfReader

from asset_engine import (
    AssetError,
    BrandKit,
    EncryptedPdfError,
    InvalidPdfError,
    Zone,
    cobrand_pdf,
    inspect_pdf,
)
from asset_engine._sinks import last_xref_offset
from tests.requirements import CORPUS, corpus_params

from .engine_helpers import render

PDF_DIR = CORPUS / "pdf"
# Files that cannot be read, and the error each must give.
REFUSED: dict[str, tuple[type[AssetError], str]] = {
    "libreoffice-writer-password.pdf": (EncryptedPdfError, "encrypted"),
    # Its cross-reference data is broken; PDFium cannot open it either.
    "unreadablemetadata.pdf": (InvalidPdfError, "damaged"),
}
ZONES = [
    Zone("logo", (0.75, 0.02, 0.2, 0.06), align="right"),
    Zone("text", (0.05, 0.94, 0.6, 0.04), text="{{ partner }} · {{ contact.phone }}"),
    Zone("qr", (0.88, 0.86, 0.1, 0.12), pages="last"),
]


@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
@pytest.mark.parametrize("path", corpus_params(PDF_DIR, "*.pdf"))
def test_corpus_pdf_is_cobranded_on_every_page_or_refused(
    path: Path, brand: BrandKit, incremental: bool
) -> None:
    data = path.read_bytes()
    if path.name in REFUSED:
        kind, words = REFUSED[path.name]
        with pytest.raises(kind, match=words):
            cobrand_pdf(data, brand, ZONES, incremental=incremental)
        return
    out = cobrand_pdf(data, brand, ZONES, incremental=incremental)
    if incremental and last_xref_offset(data) is not None:
        assert out.startswith(data)
    before, after = PdfReader(io.BytesIO(data)), PdfReader(io.BytesIO(out))
    assert len(after.pages) == len(before.pages)
    for page in after.pages:
        names = page["/Resources"]["/XObject"].keys()
        assert any(str(name).startswith("/Cobrand") for name in names)
    sizes = inspect_pdf(out)
    for number in {1, len(sizes)}:
        scale = 400 / sizes[number - 1].width  # some corpus pages are 4 pt wide
        assert "Acme Partners · +1 555 0100" in after.pages[number - 1].extract_text()
        # What changed in the top band of the page is the logo, inside its zone.
        original, branded = render(data, number, scale), render(out, number, scale)
        band = (0, 0, original.width, int(original.height * 0.1))
        changed = ImageChops.difference(original.crop(band), branded.crop(band)).getbbox()
        assert changed is not None, f"no logo on page {number}"
        assert changed[0] >= 0.74 * original.width - 1
        assert changed[2] <= 0.96 * original.width + 1
        assert changed[3] <= 0.09 * original.height + 1
